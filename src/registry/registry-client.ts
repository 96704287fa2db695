// A pull-only client for the OCI Distribution API (registry API v2): resolves an image reference to its
// manifest for one platform and streams blobs, verifying every digest. No Docker daemon involved.
import { Readable } from "node:stream";
import type { TLSOptions } from "../api/module.js";
import type { Logger } from "../log/logger.js";
import type { CredentialLookup } from "./docker-config.js";
import { formatImageReference, parseImageReference, type ImageReference } from "../api/image-reference.js";
import { registryApiHost } from "./registry-host.js";
import {
  MANIFEST_ACCEPT,
  digestAlgorithm,
  digestOf,
  formatPlatform,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from "./manifest.js";
import { RegistryAuth, type Access, type Authorization, type Endpoint } from "./registry-auth.js";
import { RegistryError, classifyNetworkError, classifyResponse, parseErrorBody, type RequestContext } from "./registry-error.js";
import type { BackoffOptions } from "../util/backoff.js";
import { type Clock, systemClock } from "../util/clock.js";
import { DEFAULT_BACKOFF } from "./retry-policy.js";
import { MAX_ERROR_BODY_BYTES, Transport, abandon, headerValue, readLimited, type Exchange, type SendInit, type SmallReply } from "./transport.js";
import { describeMismatch, verifyChunks } from "./verify.js";
import { blobExists, pushBlob, putManifest, type BlobContent, type PushChannel, type PushedBlob } from "./registry-push.js";
import { parseWwwAuthenticate, pickAuthScheme, type AuthScheme } from "./www-authenticate.js";

export interface RegistryClientOptions {
  /** Credentials per registry and repository, e.g. `credentialsFromDockerConfig(pullSecret)`. @default anonymous */
  readonly credentials?: CredentialLookup;
  /**
   * TLS settings per registry (as written in the reference) for every request of this client, e.g. the
   * registries a run reaches over plain HTTP; where it answers undefined, a request's own `tls` applies.
   * @default verified HTTPS
   */
  readonly tls?: (registry: string) => TLSOptions | undefined;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  readonly ca?: string | readonly string[];
  /** The platform taken from an index (multi-arch image). @default DEFAULT_PLATFORM (linux/amd64) */
  readonly platform?: Platform;
  /**
   * Connect timeout, and the limit for a whole manifest or token request; for blobs, the limit until the
   * response starts and then the longest pause between two chunks. @default 30000
   */
  readonly timeoutMs?: number;
  /** Retries after the first attempt, on 429, 408, 5xx, timeouts and connection errors (never on other 4xx). @default 3 */
  readonly retries?: number;
  /** Exponential backoff with jitter between retries. @default DEFAULT_BACKOFF */
  readonly backoff?: BackoffOptions;
  /** The longest Retry-After honoured; a longer one fails at once with TooManyRequests. @default 60000 */
  readonly maxRetryAfterMs?: number;
  /** Manifests larger than this are refused, so a hostile registry cannot exhaust memory. @default MAX_MANIFEST_BYTES (4 MiB) */
  readonly maxManifestBytes?: number;
  /** Requests at debug, retries at warn; never credentials or tokens. */
  readonly log?: Logger;
  /** @default "kmm-preflight" */
  readonly userAgent?: string;
  /** Randomness for backoff jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Retry delays, request durations, Retry-After dates and token expiry. @default systemClock */
  readonly clock?: Clock;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /**
   * TLS for the reference's registry on this request, where the client's `tls` says nothing for it: a
   * Module's registryTLS, so that one client can serve Modules with different settings. @default verified HTTPS
   */
  readonly tls?: TLSOptions;
}

export interface PushBlobOptions extends RequestOptions {
  /**
   * An image of the same registry whose repository may hold the blob: it is mounted from there
   * (no bytes sent) when the registry allows it. Ignored for another registry.
   */
  readonly mountFrom?: string | ImageReference;
  /** Chunk size of a streamed upload. @default DEFAULT_CHUNK_BYTES (8 MiB) */
  readonly chunkBytes?: number;
}

export interface GetImageOptions extends RequestOptions {
  /** Overrides the client's platform for this image. */
  readonly platform?: Platform;
}

export interface ResolvedImage {
  readonly ref: ImageReference;
  /** The digest the reference resolves to (of the index for a multi-arch image): pin with `<repo>@<digest>`. */
  readonly digest: string;
  /** Media type of what the reference resolves to (an index or a manifest). */
  readonly mediaType: string;
  /** The image manifest exactly as the registry served it (its digest is `manifestDigest`). */
  readonly manifestBytes: Buffer;
  /** Digest of the image manifest: `digest` unless the reference resolved to an index. */
  readonly manifestDigest: string;
  readonly manifest: ImageManifest;
  /** The platform picked from the index; absent when the reference named a single manifest. */
  readonly platform?: Platform;
}

export const DEFAULT_PLATFORM: Platform = { os: "linux", architecture: "amd64" };
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 3;
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** An index may point at another index; more levels than this are refused. */
const MAX_INDEX_DEPTH = 3;

type ManifestFetch = { readonly bytes: Buffer; readonly digest: string; readonly contentType: string | undefined };

export class RegistryClient {
  private readonly transport: Transport;
  private readonly auth: RegistryAuth;
  private readonly platform: Platform;
  private readonly timeoutMs: number;
  private readonly maxManifestBytes: number;

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.platform = opts.platform ?? DEFAULT_PLATFORM;
    this.maxManifestBytes = opts.maxManifestBytes ?? MAX_MANIFEST_BYTES;
    const ca = opts.ca === undefined ? undefined : typeof opts.ca === "string" ? [opts.ca] : opts.ca;
    this.transport = new Transport({
      timeoutMs: this.timeoutMs,
      retries: opts.retries ?? DEFAULT_RETRIES,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      maxRetryAfterMs: opts.maxRetryAfterMs ?? 60_000,
      userAgent: opts.userAgent ?? "kmm-preflight",
      random: opts.random ?? Math.random,
      clock: opts.clock ?? systemClock,
      ...(ca && { ca }),
      ...(opts.log && { log: opts.log.child({ component: "registry" }) }),
    });
    this.auth = new RegistryAuth(this.transport, opts.credentials, opts.clock ?? systemClock);
  }

  /** Closes pooled connections. The client must not be used afterwards. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /**
   * Resolves a reference to the image manifest for the platform (following an index), verifying the digest
   * of every manifest: against the reference's digest, the index entry, or the Docker-Content-Digest header.
   */
  async getImage(reference: string | ImageReference, opts: GetImageOptions = {}): Promise<ResolvedImage> {
    const ref = toReference(reference);
    const ep = this.endpoint(ref.registry, opts.tls);
    const image = formatImageReference(ref);
    const want = opts.platform ?? this.platform;

    let top: ManifestFetch;
    try {
      top = await this.fetchManifest(ep, ref, ref.digest ?? ref.tag ?? "latest", image, undefined, opts.signal);
    } catch (err) {
      if (err instanceof RegistryError && err.kind === "NotFound" && ref.digest === undefined && !err.codes.includes("NAME_UNKNOWN")) {
        throw await this.explainMissingTag(ep, ref, image, err, opts.signal);
      }
      throw err;
    }
    let parsed = parseOrThrow(top, image);
    const topMediaType = parsed.kind === "index" ? parsed.mediaType : parsed.manifest.mediaType;
    let current = top;
    let platform: Platform | undefined;
    for (let depth = 0; parsed.kind === "index"; depth++) {
      if (depth >= MAX_INDEX_DEPTH) throw new RegistryError({ kind: "Unsupported", message: `${image}: indexes nested more than ${MAX_INDEX_DEPTH} deep` });
      const entry = selectPlatform(parsed.manifests, want);
      if (!entry) {
        const available = [...new Set(parsed.manifests.flatMap((m) => (m.platform && m.platform.os !== "unknown" ? [formatPlatform(m.platform)] : [])))];
        throw new RegistryError({
          kind: "NotFound",
          message: `${image}: the image has no manifest for ${formatPlatform(want)} (it has ${available.length ? available.join(", ") : "no platform-specific manifests"}); build and push it for ${formatPlatform(want)}`,
        });
      }
      platform = entry.platform;
      current = await this.fetchManifest(ep, ref, entry.digest, image, entry, opts.signal);
      parsed = parseOrThrow(current, image);
    }
    return {
      ref,
      digest: top.digest,
      mediaType: topMediaType,
      manifestDigest: current.digest,
      manifestBytes: current.bytes,
      manifest: parsed.manifest,
      ...(platform && { platform }),
    };
  }

  /**
   * Streams a blob (a layer or config) of the reference's repository. The stream errors with a Corrupt
   * RegistryError as soon as more than `desc.size` bytes arrive, and at the end if the size or digest
   * differ, so a consumer must treat data as untrusted until the stream ends without error. Retries
   * happen only before the stream is returned; errors while streaming (e.g. Timeout) end the stream.
   */
  async openBlob(reference: string | ImageReference, desc: Descriptor, opts: RequestOptions = {}): Promise<Readable> {
    const ref = toReference(reference);
    const ep = this.endpoint(ref.registry, opts.tls);
    const image = formatImageReference(ref);
    if (!digestAlgorithm(desc.digest)) throw new RegistryError({ kind: "Unsupported", message: `${image}: cannot verify blob digest ${JSON.stringify(desc.digest)} (sha256 or sha512 only)` });
    if (!Number.isSafeInteger(desc.size) || desc.size < 0) throw new RegistryError({ kind: "Corrupt", message: `${image}: blob ${desc.digest} has an invalid size ${desc.size}` });

    const url = new URL(`/v2/${ref.repository}/blobs/${desc.digest}`, ep.origin);
    const base = { image, registry: ep.registry, repository: ref.repository, object: "blob" as const, digest: desc.digest };
    const { reply: ex, ctx } = await this.authorized(ep, ref.repository, image, base, opts.signal, (init) => this.transport.openStream(url, init), dumpBody);
    if (ex.status !== 200) {
      const text = (await readLimited(ex.body, ex.headers, MAX_ERROR_BODY_BYTES).catch(() => Buffer.alloc(0))).toString("utf8");
      throw classifyResponse(ex.status, parseErrorBody(text), ctx);
    }
    const announced = ex.headers["content-length"];
    if (announced !== undefined && Number(announced) !== desc.size) {
      abandon(ex.body);
      throw new RegistryError({ kind: "Corrupt", status: ex.status, message: `${image}: blob ${desc.digest}: the registry announces ${announced} bytes where the manifest says ${desc.size}` });
    }
    const host = ex.url.host;
    const timeoutMs = this.timeoutMs;
    const signal = opts.signal;
    async function* guarded() {
      try {
        yield* ex.body as AsyncIterable<Uint8Array>;
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw classifyNetworkError(err, { image: `${image}: blob ${desc.digest}`, host, timeoutMs });
      }
    }
    const verified = verifyChunks(guarded(), desc, (m) => new RegistryError({ kind: "Corrupt", message: `${image}: blob ${desc.digest}: ${describeMismatch(m, desc)}` }));
    return Readable.from(verified, { objectMode: false });
  }

  /** Whether the reference's repository holds the blob `digest` (HEAD; pull access). */
  async hasBlob(reference: string | ImageReference, digest: string, opts: RequestOptions = {}): Promise<boolean> {
    return blobExists(this.channel(toReference(reference), opts, false), digest);
  }

  /**
   * Makes the blob `desc` exist in the reference's repository, with push access: skipped when it is
   * there (HEAD), mounted from `opts.mountFrom` when that is a repository of the same registry and the
   * registry agrees, else uploaded from `content` (bytes in memory: one PUT; a stream: PATCH chunks,
   * reopened when the upload is retried). The content is checked against `desc` (digest and size).
   */
  async pushBlob(reference: string | ImageReference, desc: Descriptor, content: BlobContent, opts: PushBlobOptions = {}): Promise<PushedBlob> {
    const ref = toReference(reference);
    const from = opts.mountFrom === undefined ? undefined : toReference(opts.mountFrom);
    const mountFrom = from && registryApiHost(from.registry) === registryApiHost(ref.registry) ? from.repository : undefined;
    return pushBlob(this.channel(ref, opts, true), desc, content, { ...(mountFrom !== undefined && { mountFrom }), ...(opts.chunkBytes !== undefined && { chunkBytes: opts.chunkBytes }) });
  }

  /**
   * PUTs an image manifest (or index) under the reference's tag (or its digest, which must be the
   * manifest's), with push access; every blob it names must be pushed first. Returns the manifest's digest.
   */
  async putManifest(reference: string | ImageReference, manifest: Buffer, mediaType: string, opts: RequestOptions = {}): Promise<string> {
    const ref = toReference(reference);
    if (manifest.length > this.maxManifestBytes) {
      throw new RegistryError({ kind: "Unsupported", message: `${formatImageReference(ref)}: the manifest is larger than the ${this.maxManifestBytes} bytes the client sends` });
    }
    return putManifest(this.channel(ref, opts, true), ref.tag ?? ref.digest ?? "latest", manifest, mediaType);
  }

  /** Requests to one repository with pull or push access, for the push protocol (registry-push.ts). */
  private channel(ref: ImageReference, opts: RequestOptions, push: boolean): PushChannel {
    const ep = this.endpoint(ref.registry, opts.tls);
    const image = formatImageReference(ref);
    const tooLarge = (limit: number) => new RegistryError({ kind: "Unsupported", message: `${image}: the registry's answer is larger than the ${limit} bytes the client reads` });
    return {
      image,
      registry: ep.registry,
      repository: ref.repository,
      origin: ep.origin,
      request: (method, url, o) => {
        const access: Access = { repository: ref.repository, push, ...(o.mountFrom !== undefined && { mountFrom: o.mountFrom }) };
        const base = { image, registry: ep.registry, repository: ref.repository, object: o.object, ...(push && { action: "push" as const }), ...(o.by && { by: o.by }), ...(o.digest && { digest: o.digest }) };
        const send = (init: SendInit) =>
          this.transport.fetchSmall(url, { ...init, method, ...(o.headers && { headers: o.headers }), ...(o.body && { body: o.body }), ...(o.once && { retries: 0 }) }, MAX_ERROR_BODY_BYTES, tooLarge);
        return this.authorized(ep, access, image, base, opts.signal, send, async () => undefined);
      },
      retryOperation: (operation) => this.transport.retryOperation({ image, host: new URL(ep.origin).host }, opts.signal, operation),
    };
  }

  /**
   * distribution answers MANIFEST_UNKNOWN both for a missing tag and for a missing repository; the tags
   * list tells them apart (NAME_UNKNOWN), so the message can say which name to fix. Any other outcome
   * keeps the original error.
   */
  private async explainMissingTag(ep: Endpoint, ref: ImageReference, image: string, original: RegistryError, signal: AbortSignal | undefined): Promise<RegistryError> {
    try {
      const url = new URL(`/v2/${ref.repository}/tags/list?n=1`, ep.origin);
      const base = { image, registry: ep.registry, repository: ref.repository, object: "manifest" as const, by: "tag" as const };
      const { reply, ctx } = await this.authorized(
        ep,
        ref.repository,
        image,
        base,
        signal,
        (init) => this.transport.fetchSmall(url, init, MAX_ERROR_BODY_BYTES, () => original),
        async () => undefined,
      );
      const body = parseErrorBody(reply.bytes.toString("utf8"));
      if (reply.status !== 404 || !body.codes.includes("NAME_UNKNOWN")) return original;
      const e = classifyResponse(404, body, ctx);
      return new RegistryError({ kind: "NotFound", status: 404, codes: [...new Set([...original.codes, ...e.codes])], message: e.message });
    } catch {
      return original;
    }
  }

  private endpoint(registry: string, requested: TLSOptions | undefined): Endpoint {
    const tls = this.opts.tls?.(registry) ?? requested ?? {};
    return { registry, origin: `${tls.insecure ? "http" : "https"}://${registryApiHost(registry)}`, verify: !tls.insecureSkipTLSVerify };
  }

  /**
   * Sends with the registry's authorization; on a 401, learns the challenge it carries, refreshes the
   * authorization (a new token) and retries once. Returns the last reply and the context for classifying it.
   */
  private async authorized<R extends { status: number; headers: SmallReply["headers"] }>(
    ep: Endpoint,
    access: string | Access,
    image: string,
    base: Omit<RequestContext, "credentialsSent">,
    signal: AbortSignal | undefined,
    send: (init: SendInit) => Promise<R>,
    discard: (r: R) => Promise<void>,
  ): Promise<{ reply: R; ctx: RequestContext }> {
    const initFor = (a: Authorization): SendInit => ({
      verify: ep.verify,
      ctx: { ...base, credentialsSent: a.credentialsSent },
      ...(a.header !== undefined && { authorization: { origin: ep.origin, header: a.header } }),
      ...(signal && { signal }),
    });
    let auth = await this.auth.authorize(ep, access, image, signal);
    let reply = await send(initFor(auth));
    let insufficientScope = false;
    if (reply.status === 401) {
      const scheme = pickAuthScheme(parseWwwAuthenticate(reply.headers["www-authenticate"]));
      insufficientScope = isInsufficientScope(scheme);
      // Retry once when there is something new to send: a fresh token, or credentials for a newly learned scheme.
      if (scheme && (scheme.scheme === "bearer" || scheme.scheme !== auth.scheme)) {
        this.auth.learn(ep, access, scheme);
        const next = await this.auth.authorize(ep, access, image, signal);
        if (next.header !== undefined) {
          await discard(reply);
          auth = next;
          reply = await send(initFor(auth));
          if (reply.status === 401) insufficientScope = isInsufficientScope(pickAuthScheme(parseWwwAuthenticate(reply.headers["www-authenticate"])));
        }
      }
    }
    return { reply, ctx: { ...base, credentialsSent: auth.credentialsSent, ...(insufficientScope && { insufficientScope }) } };
  }

  private async fetchManifest(
    ep: Endpoint,
    ref: ImageReference,
    reference: string,
    image: string,
    expected: Descriptor | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ManifestFetch> {
    const byDigest = digestAlgorithm(reference) !== undefined;
    const url = new URL(`/v2/${ref.repository}/manifests/${reference}`, ep.origin);
    const base = { image, registry: ep.registry, repository: ref.repository, object: "manifest" as const, by: byDigest ? ("digest" as const) : ("tag" as const) };
    const tooLarge = (limit: number) =>
      new RegistryError({ kind: "Unsupported", message: `${image}: manifest ${reference} is larger than the ${limit} bytes the client accepts` });
    const { reply, ctx } = await this.authorized(
      ep,
      ref.repository,
      image,
      base,
      signal,
      (init) => this.transport.fetchSmall(url, { ...init, headers: { accept: MANIFEST_ACCEPT } }, this.maxManifestBytes, tooLarge),
      async () => undefined,
    );
    if (reply.status < 200 || reply.status >= 300) throw classifyResponse(reply.status, parseErrorBody(reply.bytes.toString("utf8")), ctx);

    const bytes = reply.bytes;
    const contentType = headerValue(reply.headers["content-type"]);
    const corrupt = (what: string) => new RegistryError({ kind: "Corrupt", status: reply.status, message: `${image}: manifest ${reference}: ${what}; the registry's storage may be damaged` });
    let digest: string;
    if (byDigest) {
      const actual = digestOf(bytes, digestAlgorithm(reference));
      if (actual !== reference) throw corrupt(`content digest ${actual} does not match the requested digest`);
      digest = reference;
    } else {
      const header = headerValue(reply.headers["docker-content-digest"]);
      const algorithm = header !== undefined ? digestAlgorithm(header) : undefined;
      if (header !== undefined && algorithm) {
        const actual = digestOf(bytes, algorithm);
        if (actual !== header) throw corrupt(`content digest ${actual} does not match Docker-Content-Digest ${header}`);
        digest = header;
      } else {
        digest = digestOf(bytes);
      }
    }
    if (expected && bytes.length !== expected.size) throw corrupt(`${bytes.length} bytes where the index says ${expected.size}`);
    return { bytes, digest, contentType };
  }
}

function isInsufficientScope(scheme: AuthScheme | undefined): boolean {
  return scheme?.scheme === "bearer" && scheme.error === "insufficient_scope";
}

function parseOrThrow(m: ManifestFetch, image: string) {
  const parsed = parseManifest(m.bytes, m.contentType);
  if (!parsed.ok) throw new RegistryError({ kind: parsed.problem, message: `${image}: manifest ${m.digest}: ${parsed.reason}` });
  return parsed;
}

function toReference(reference: string | ImageReference): ImageReference {
  if (typeof reference !== "string") return reference;
  const r = parseImageReference(reference);
  if (!r.ok) throw new RegistryError({ kind: "Unsupported", message: `${JSON.stringify(reference)} is not a valid image reference: ${r.errors.join("; ")}` });
  return r.ref;
}

async function dumpBody(ex: Exchange): Promise<void> {
  await ex.body.dump().catch(() => undefined);
}
