// The push half of the distribution API (spec: "Pushing blobs", "Pushing manifests"): HEAD to skip a
// blob the repository has, a cross-repository mount from another repository of the same registry, a
// monolithic upload (POST, then PUT with the bytes) for a blob in memory, a chunked one (POST, PATCH
// per chunk, PUT to commit) for a stream, and a manifest PUT. Every step is checked against the
// digest and size the caller states.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { digestAlgorithm, digestOf, type Descriptor } from "./manifest.js";
import { RegistryError, classifyResponse, parseErrorBody, type RequestContext } from "./registry-error.js";
import { headerValue, type SendInit, type SmallReply } from "./transport.js";

/** A blob's bytes: in memory, or a stream opened when (and each time) an upload needs it. */
export type BlobContent = Buffer | (() => Promise<Readable>);

export interface PushedBlob {
  readonly digest: string;
  readonly size: number;
  /** `present`: the repository had it; `mounted`: linked from another repository of the registry; `uploaded`: sent. */
  readonly how: "present" | "mounted" | "uploaded";
}

export interface ChannelRequest {
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  /** Not retried on its own (a step of an upload, retried as a whole). */
  readonly once?: boolean;
  readonly object: "blob" | "manifest";
  readonly by?: "tag" | "digest";
  readonly digest?: string;
  /** Ask also for pull access to this repository (a mount's source). */
  readonly mountFrom?: string;
}

/** What pushing needs of the client: authorized requests (push access) to one repository, and whole-operation retries. */
export interface PushChannel {
  /** The target, for messages, e.g. `quay.io/org/driver:5.14`. */
  readonly image: string;
  readonly registry: string;
  readonly repository: string;
  /** `https://host[:port]`: relative upload locations resolve against it. */
  readonly origin: string;
  request(method: NonNullable<SendInit["method"]>, url: URL, o: ChannelRequest): Promise<{ reply: SmallReply; ctx: RequestContext }>;
  retryOperation<T>(operation: () => Promise<T>): Promise<T>;
}

/** Chunks of a streamed upload: small enough that each PATCH finishes within the request timeout on a slow link. */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

function fail(reply: SmallReply, ctx: RequestContext): never {
  throw classifyResponse(reply.status, parseErrorBody(reply.bytes.toString("utf8")), ctx);
}

function expectStatus(got: { reply: SmallReply; ctx: RequestContext }, want: number): SmallReply {
  if (got.reply.status !== want) fail(got.reply, got.ctx);
  return got.reply;
}

/** Where the upload continues: the Location of the last answer, relative to the URL that gave it. */
function uploadLocation(reply: SmallReply, ch: PushChannel): URL {
  const location = headerValue(reply.headers["location"]);
  if (!location) throw new RegistryError({ kind: "Unsupported", status: reply.status, message: `${ch.image}: ${ch.registry} started an upload without saying where to send it (no Location)` });
  return new URL(location, reply.url);
}

function checkCommitted(reply: SmallReply, ch: PushChannel, digest: string): void {
  const stored = headerValue(reply.headers["docker-content-digest"]);
  if (stored !== undefined && stored !== digest) {
    throw new RegistryError({ kind: "Corrupt", status: reply.status, message: `${ch.image}: ${ch.registry} stored the blob as ${stored}, not ${digest}` });
  }
}

function checkDescriptor(ch: PushChannel, desc: Descriptor): void {
  if (!digestAlgorithm(desc.digest)) throw new RegistryError({ kind: "Unsupported", message: `${ch.image}: cannot push blob digest ${JSON.stringify(desc.digest)} (sha256 or sha512 only)` });
  if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new RegistryError({ kind: "Corrupt", message: `${ch.image}: blob ${desc.digest} has an invalid size ${desc.size}` });
}

/** Whether the channel's repository holds the blob. */
export async function blobExists(ch: PushChannel, digest: string): Promise<boolean> {
  const url = new URL(`/v2/${ch.repository}/blobs/${digest}`, ch.origin);
  const got = await ch.request("HEAD", url, { object: "blob", digest });
  if (got.reply.status === 200) return true;
  if (got.reply.status === 404) return false;
  fail(got.reply, got.ctx);
}

/**
 * Makes the blob `desc` exist in the channel's repository: nothing when it is there, a mount from
 * `mountFrom` (a repository of the same registry) when the registry allows it, else an upload of
 * `content`. Uploads are retried from the start on transient failures; a stream is reopened each time.
 */
export async function pushBlob(ch: PushChannel, desc: Descriptor, content: BlobContent, opts: { mountFrom?: string; chunkBytes?: number } = {}): Promise<PushedBlob> {
  checkDescriptor(ch, desc);
  const done = (how: PushedBlob["how"]): PushedBlob => ({ digest: desc.digest, size: desc.size, how });
  if (Buffer.isBuffer(content)) {
    if (content.length !== desc.size || digestOf(content, digestAlgorithm(desc.digest)) !== desc.digest) {
      throw new RegistryError({ kind: "Corrupt", message: `${ch.image}: the bytes to push do not match ${desc.digest} (${desc.size} bytes)` });
    }
  }
  const mountFrom = opts.mountFrom !== undefined && opts.mountFrom !== ch.repository ? opts.mountFrom : undefined;
  if (await blobExists(ch, desc.digest)) return done("present");
  return ch.retryOperation(async () => {
    const start = new URL(`/v2/${ch.repository}/blobs/uploads/`, ch.origin);
    if (mountFrom) {
      start.searchParams.set("mount", desc.digest);
      start.searchParams.set("from", mountFrom);
    }
    const base = { object: "blob" as const, digest: desc.digest, once: true, ...(mountFrom && { mountFrom }) };
    const started = await ch.request("POST", start, { ...base, headers: { "content-length": "0" } });
    // 201: mounted; 202: an upload session (also what a registry answers when it will not mount).
    if (mountFrom && started.reply.status === 201) {
      checkCommitted(started.reply, ch, desc.digest);
      return done("mounted");
    }
    let location = uploadLocation(expectStatus(started, 202), ch);
    let body: Buffer | undefined;
    if (Buffer.isBuffer(content)) {
      body = content;
    } else {
      location = await patchChunks(ch, location, await content(), desc, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, base);
    }
    location.searchParams.set("digest", desc.digest);
    const put = await ch.request("PUT", location, {
      ...base,
      headers: { "content-type": "application/octet-stream", "content-length": String(body?.length ?? 0) },
      ...(body && { body }),
    });
    checkCommitted(expectStatus(put, 201), ch, desc.digest);
    return done("uploaded");
  });
}

/** The stream's bytes in chunks of `size` bytes (the last one may be shorter). */
async function* rechunk(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const part of source) {
    parts.push(part);
    length += part.length;
    if (length < size) continue;
    yield Buffer.concat(parts, length);
    parts = [];
    length = 0;
  }
  if (length > 0) yield Buffer.concat(parts, length);
}

/** Sends a stream as PATCH requests of `chunkBytes`, verifying its size and digest; returns where to commit. */
async function patchChunks(ch: PushChannel, location: URL, source: Readable, desc: Descriptor, chunkBytes: number, base: ChannelRequest): Promise<URL> {
  const algorithm = digestAlgorithm(desc.digest)!;
  const hash = createHash(algorithm);
  let sent = 0;
  try {
    for await (const chunk of rechunk(source, chunkBytes)) {
      if (sent + chunk.length > desc.size) throw new RegistryError({ kind: "Corrupt", message: `${ch.image}: blob ${desc.digest}: the source has more than ${desc.size} bytes` });
      hash.update(chunk);
      const headers = { "content-type": "application/octet-stream", "content-length": String(chunk.length), "content-range": `${sent}-${sent + chunk.length - 1}` };
      location = uploadLocation(expectStatus(await ch.request("PATCH", location, { ...base, headers, body: chunk }), 202), ch);
      sent += chunk.length;
    }
  } finally {
    source.destroy();
  }
  const actual = `${algorithm}:${hash.digest("hex")}`;
  if (sent !== desc.size || actual !== desc.digest) {
    throw new RegistryError({ kind: "Corrupt", message: `${ch.image}: blob ${desc.digest}: the source gave ${sent} bytes with digest ${actual}` });
  }
  return location;
}

/**
 * PUTs a manifest under `reference` (a tag, or a digest that must be the manifest's own) and returns
 * its digest, checked against the registry's Docker-Content-Digest.
 */
export async function putManifest(ch: PushChannel, reference: string, manifest: Buffer, mediaType: string): Promise<string> {
  const digest = digestOf(manifest);
  const byDigest = digestAlgorithm(reference) !== undefined;
  if (byDigest && digestOf(manifest, digestAlgorithm(reference)) !== reference) {
    throw new RegistryError({ kind: "Unsupported", message: `${ch.image}: the manifest's digest is ${digest}, so it cannot be pushed as ${reference}` });
  }
  const url = new URL(`/v2/${ch.repository}/manifests/${reference}`, ch.origin);
  const got = await ch.request("PUT", url, { object: "manifest", by: byDigest ? "digest" : "tag", headers: { "content-type": mediaType }, body: manifest });
  const reply = expectStatus(got, 201);
  const stored = headerValue(reply.headers["docker-content-digest"]);
  if (stored !== undefined && digestAlgorithm(stored) && digestOf(manifest, digestAlgorithm(stored)) !== stored) {
    throw new RegistryError({ kind: "Corrupt", status: reply.status, message: `${ch.image}: ${ch.registry} stored the manifest as ${stored}, not ${digest}` });
  }
  return digest;
}
