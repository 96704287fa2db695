// Pushing OCI / Docker v2 images without Docker: layers (built with layers.ts), a config with diff_ids,
// manifests and indexes, uploads over the distribution API (monolithic POST+PUT for small blobs,
// chunked PATCH for streamed ones). Deliberately independent of src/registry, so that a bug in the
// client cannot hide behind the same bug in the fixtures.
import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { Agent, request } from "undici";
import { file, layer, type TestEntry } from "./layers.js";
import type { RunningRegistry } from "./registry.js";

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export interface BlobDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface PushedImage extends BlobDescriptor {
  /** The exact manifest bytes that were pushed. */
  readonly manifest: Buffer;
  readonly config: BlobDescriptor;
  readonly layers: readonly BlobDescriptor[];
}

export interface PushedIndex extends BlobDescriptor {
  readonly manifest: Buffer;
}

/** Who pushes: the registry's admin by default; `null` to push anonymously. */
export type PushCredentials = { readonly username: string; readonly password: string } | null;

export interface PushImageOptions {
  /** Layer blobs, bottom first; gzip-compressed ones (by magic bytes) get the +gzip media type. */
  readonly layers: readonly Buffer[];
  /** @default "oci" */
  readonly format?: "oci" | "docker";
  /** Media type per layer, overriding the detected one. */
  readonly mediaTypes?: readonly (string | undefined)[];
  /** Merged over the generated config (architecture, os, rootfs.diff_ids, config). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** @default { os: "linux", architecture: "amd64" } */
  readonly platform?: { readonly os: string; readonly architecture: string; readonly variant?: string };
  readonly credentials?: PushCredentials;
}

/** The part of a running registry pushing needs. */
export type PushTarget = Pick<RunningRegistry, "url" | "ca" | "username" | "password">;

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function isGzip(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b;
}

/**
 * `size` pseudo-random bytes (AES-CTR keystream of `seed`), generated on the fly: nothing compresses it,
 * the same seed gives the same bytes, and memory stays at one chunk.
 */
export function pseudoRandomStream(size: number, seed = "kmm-preflight"): Readable {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, zeros.length);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The push client

const agents = new Map<string, Agent>();
function agentFor(ca: string | undefined): Agent {
  const key = ca ?? "";
  let a = agents.get(key);
  if (!a) {
    a = new Agent({ connect: ca ? { ca } : {}, keepAliveTimeout: 1000 });
    agents.set(key, a);
  }
  return a;
}

interface Session {
  readonly target: PushTarget;
  readonly repo: string;
  readonly authorization?: string;
}

function credentialsOf(target: PushTarget, credentials: PushCredentials | undefined): PushCredentials {
  if (credentials !== undefined) return credentials;
  return target.username !== undefined && target.password !== undefined ? { username: target.username, password: target.password } : null;
}

function basic(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

type Body = string | Buffer | Readable | null;

async function send(target: PushTarget, url: string | URL, method: string, headers: Record<string, string>, body: Body = null) {
  const res = await request(url, { method: method as "GET", headers, body, dispatcher: agentFor(target.ca) });
  const text = method === "HEAD" ? "" : await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** Authenticates for pull+push on `repo` the way `docker push` does: challenge from /v2/, then Basic or a Bearer token. */
async function openSession(target: PushTarget, repo: string, credentials: PushCredentials | undefined): Promise<Session> {
  const creds = credentialsOf(target, credentials);
  const ping = await send(target, `${target.url}/v2/`, "GET", {});
  if (ping.status === 200) return { target, repo };
  const challenge = String(ping.headers["www-authenticate"] ?? "");
  if (/^basic/i.test(challenge)) return { target, repo, ...(creds && { authorization: basic(creds) }) };
  const param = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1];
  const realm = param("realm");
  if (!/^bearer/i.test(challenge) || !realm) throw new Error(`push: unexpected challenge from ${target.url}: ${challenge}`);
  const url = new URL(realm);
  const service = param("service");
  if (service) url.searchParams.set("service", service);
  url.searchParams.set("scope", `repository:${repo}:pull,push`);
  const res = await send(target, url, "GET", creds ? { authorization: basic(creds) } : {});
  if (res.status !== 200) throw new Error(`push: token request failed with ${res.status}: ${res.text}`);
  const body = JSON.parse(res.text) as { token?: string; access_token?: string };
  return { target, repo, authorization: `Bearer ${body.token ?? body.access_token}` };
}

async function call(s: Session, method: string, pathOrUrl: string | URL, headers: Record<string, string> = {}, body: Body = null) {
  const url = typeof pathOrUrl === "string" && pathOrUrl.startsWith("/") ? `${s.target.url}${pathOrUrl}` : pathOrUrl;
  return send(s.target, url, method, { ...headers, ...(s.authorization && { authorization: s.authorization }) }, body);
}

function expectStatus(res: { status: number; text: string }, want: number, what: string): void {
  if (res.status !== want) throw new Error(`push: ${what}: want ${want}, got ${res.status}: ${res.text.slice(0, 500)}`);
}

function uploadUrl(s: Session, location: unknown): URL {
  if (typeof location !== "string") throw new Error("push: the registry sent no upload Location");
  return new URL(location, s.target.url);
}

async function uploadBlob(s: Session, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const head = await call(s, "HEAD", `/v2/${s.repo}/blobs/${digest}`);
  if (head.status === 200) return digest;
  const start = await call(s, "POST", `/v2/${s.repo}/blobs/uploads/`);
  expectStatus(start, 202, `start upload to ${s.repo}`);
  const url = uploadUrl(s, start.headers["location"]);
  url.searchParams.set("digest", digest);
  const put = await call(s, "PUT", url, { "content-type": "application/octet-stream", "content-length": String(data.length) }, data);
  expectStatus(put, 201, `upload ${digest}`);
  return digest;
}

async function putManifest(s: Session, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
  const res = await call(s, "PUT", `/v2/${s.repo}/manifests/${reference}`, { "content-type": mediaType }, bytes);
  expectStatus(res, 201, `put manifest ${s.repo}:${reference}`);
  return sha256(bytes);
}

/** Uploads one blob (monolithic POST + PUT) unless the repository has it. */
export async function pushBlob(target: PushTarget, repo: string, data: Buffer, opts: { credentials?: PushCredentials } = {}): Promise<{ digest: string; size: number }> {
  const s = await openSession(target, repo, opts.credentials);
  return { digest: await uploadBlob(s, data), size: data.length };
}

/**
 * Uploads a stream as one blob with chunked PATCH uploads (Content-Range), hashing as it goes: memory
 * stays at one chunk whatever the size. If `size` is given, a stream of another length fails.
 */
export async function pushBlobStream(
  target: PushTarget,
  repo: string,
  source: Readable,
  opts: { size?: number; chunkSize?: number; credentials?: PushCredentials } = {},
): Promise<{ digest: string; size: number }> {
  const chunkSize = opts.chunkSize ?? 8 * 1024 * 1024;
  const s = await openSession(target, repo, opts.credentials);
  const start = await call(s, "POST", `/v2/${s.repo}/blobs/uploads/`);
  expectStatus(start, 202, `start upload to ${repo}`);
  let url = uploadUrl(s, start.headers["location"]);
  const hash = createHash("sha256");
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    const res = await call(
      s,
      "PATCH",
      url,
      { "content-type": "application/octet-stream", "content-length": String(chunk.length), "content-range": `${offset}-${offset + chunk.length - 1}` },
      chunk,
    );
    expectStatus(res, 202, `upload chunk at ${offset}`);
    offset += chunk.length;
    url = uploadUrl(s, res.headers["location"]);
  };
  for await (const c of source) {
    const buf = c as Buffer;
    hash.update(buf);
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes >= chunkSize) await flush();
  }
  await flush();
  if (opts.size !== undefined && offset !== opts.size) throw new Error(`push: stream had ${offset} bytes, want ${opts.size}`);
  const digest = `sha256:${hash.digest("hex")}`;
  url.searchParams.set("digest", digest);
  const put = await call(s, "PUT", url, { "content-length": "0" });
  expectStatus(put, 201, `complete upload ${digest}`);
  return { digest, size: offset };
}

function layerMediaType(format: "oci" | "docker", layer: Buffer): string {
  const gz = isGzip(layer);
  if (format === "docker") return gz ? MEDIA.dockerLayerGzip : MEDIA.dockerLayer;
  return gz ? MEDIA.ociLayerGzip : MEDIA.ociLayer;
}

/** Pushes the layers, a config with matching diff_ids, and the manifest under `tag` (a tag or a digest). */
export async function pushImage(target: PushTarget, repo: string, tag: string, opts: PushImageOptions): Promise<PushedImage> {
  const format = opts.format ?? "oci";
  const s = await openSession(target, repo, opts.credentials);
  const platform = opts.platform ?? { os: "linux", architecture: "amd64" };
  const layers: BlobDescriptor[] = [];
  for (const [i, layer] of opts.layers.entries()) {
    const digest = await uploadBlob(s, layer);
    layers.push({ mediaType: opts.mediaTypes?.[i] ?? layerMediaType(format, layer), digest, size: layer.length });
  }
  const configJson = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant && { variant: platform.variant }),
      config: {},
      rootfs: { type: "layers", diff_ids: opts.layers.map((l) => sha256(isGzip(l) ? gunzipSync(l) : l)) },
      ...opts.config,
    }),
  );
  const config: BlobDescriptor = { mediaType: format === "docker" ? MEDIA.dockerConfig : MEDIA.ociConfig, digest: await uploadBlob(s, configJson), size: configJson.length };
  const mediaType = format === "docker" ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config, layers }, null, 2));
  const digest = await putManifest(s, tag, manifest, mediaType);
  return { mediaType, digest, size: manifest.length, manifest, config, layers };
}

/**
 * Pushes a config and manifest for layers already uploaded (e.g. with pushBlobStream), so an image can
 * have layers too large to hold in memory. `diffIds` are the sha256 of each layer's uncompressed tar.
 */
export async function pushManifestFor(
  target: PushTarget,
  repo: string,
  tag: string,
  layers: readonly (BlobDescriptor & { diffId: string })[],
  opts: { credentials?: PushCredentials } = {},
): Promise<PushedImage> {
  const s = await openSession(target, repo, opts.credentials);
  const configJson = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) } }));
  const config: BlobDescriptor = { mediaType: MEDIA.ociConfig, digest: await uploadBlob(s, configJson), size: configJson.length };
  const descriptors = layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: descriptors }, null, 2));
  const digest = await putManifest(s, tag, manifest, MEDIA.ociManifest);
  return { mediaType: MEDIA.ociManifest, digest, size: manifest.length, manifest, config, layers: descriptors };
}

/**
 * Pushes an index (OCI) or manifest list (Docker) under `tag`, one entry per platform
 * (`"linux/amd64"`, `"linux/arm64/v8"`), pointing at images already pushed to `repo`.
 */
export async function pushIndex(
  target: PushTarget,
  repo: string,
  tag: string,
  manifests: Readonly<Record<string, BlobDescriptor>>,
  opts: { format?: "oci" | "docker"; credentials?: PushCredentials } = {},
): Promise<PushedIndex> {
  const s = await openSession(target, repo, opts.credentials);
  const mediaType = (opts.format ?? "oci") === "docker" ? MEDIA.dockerManifestList : MEDIA.ociIndex;
  const entries = Object.entries(manifests).map(([platform, d]) => {
    const [os, architecture, variant] = platform.split("/");
    return { mediaType: d.mediaType, digest: d.digest, size: d.size, platform: { os, architecture, ...(variant && { variant }) } };
  });
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }, null, 2));
  const digest = await putManifest(s, tag, manifest, mediaType);
  return { mediaType, digest, size: manifest.length, manifest };
}

/** A small image with one gzipped layer holding `files` (default: one file naming the tag). */
export async function pushSimpleImage(
  target: PushTarget,
  repo: string,
  tag: string,
  opts: Omit<PushImageOptions, "layers"> & { files?: readonly TestEntry[] } = {},
): Promise<PushedImage> {
  return pushImage(target, repo, tag, { ...opts, layers: [await layer(opts.files ?? [file("etc/image-name", `${repo}:${tag}\n`)])] });
}
