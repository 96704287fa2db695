// Registry failures as one error type with a closed set of kinds, built by pure classifiers from an
// HTTP status plus the registry's error body, or from a network error. Messages say what went wrong in
// the registry's terms (credentials, certificates, plain HTTP); they never name a caller's settings,
// because the client serves Modules and release images alike: the caller adds its own advice from
// `kind` and `tlsFailure` (the image stage names spec.imageRepoSecret and registryTLS).

export type RegistryErrorKind =
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "Unreachable"
  | "Timeout"
  | "Corrupt"
  | "Unsupported"
  | "Server"
  | "TooManyRequests";

/** Why a TLS connection failed, for callers that know which setting fixes it. */
export type TlsFailure =
  /** The certificate did not verify (unknown CA, expired, wrong host name). */
  | "UntrustedCertificate"
  /** The server did not speak TLS at all: most likely a plain-HTTP registry. */
  | "NotTls";

export interface RegistryErrorInit {
  readonly kind: RegistryErrorKind;
  readonly message: string;
  readonly status?: number;
  readonly codes?: readonly string[];
  /** @default whether the kind is transient (Unreachable, Timeout, Server, TooManyRequests) */
  readonly retryable?: boolean;
  readonly cause?: unknown;
  readonly retryAfterMs?: number;
  readonly tlsFailure?: TlsFailure;
}

const TRANSIENT_KINDS: ReadonlySet<RegistryErrorKind> = new Set(["Unreachable", "Timeout", "Server", "TooManyRequests"]);

export class RegistryError extends Error {
  override readonly name = "RegistryError";
  readonly kind: RegistryErrorKind;
  readonly status?: number;
  /** Error codes from the registry's JSON body (MANIFEST_UNKNOWN, NAME_UNKNOWN, UNAUTHORIZED, DENIED, …). */
  readonly codes: readonly string[];
  /** Whether trying again later could succeed. */
  readonly retryable: boolean;
  /** From Retry-After on a 429 or 503: how long the registry asked to wait. */
  readonly retryAfterMs?: number;
  /** Set when the error is a failed TLS handshake or certificate check. */
  readonly tlsFailure?: TlsFailure;

  constructor(init: RegistryErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    this.codes = init.codes ?? [];
    this.retryable = init.retryable ?? TRANSIENT_KINDS.has(init.kind);
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.tlsFailure !== undefined) this.tlsFailure = init.tlsFailure;
  }
}

/** Statuses worth retrying when the body names no code (go-containerregistry's temporaryStatusCodes). */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface RegistryErrorBody {
  readonly codes: string[];
  readonly messages: string[];
}

/** The `{"errors":[{"code","message","detail"}]}` body of the distribution spec; anything else gives no codes. */
export function parseErrorBody(body: string): RegistryErrorBody {
  try {
    const parsed: unknown = JSON.parse(body);
    const errors = (parsed as { errors?: unknown })?.errors;
    if (!Array.isArray(errors)) return { codes: [], messages: [] };
    const codes: string[] = [];
    const messages: string[] = [];
    for (const e of errors) {
      const code = (e as { code?: unknown })?.code;
      const message = (e as { message?: unknown })?.message;
      if (typeof code === "string" && code !== "") codes.push(code.toUpperCase());
      if (typeof message === "string" && message !== "") messages.push(sanitize(message));
    }
    return { codes, messages };
  } catch {
    return { codes: [], messages: [] };
  }
}

/** What a failed request was about, for the message. */
export interface RequestContext {
  /** The image as the user wrote it or its full form, e.g. `quay.io/org/img:tag`; the message starts with it. */
  readonly image: string;
  readonly registry: string;
  readonly repository: string;
  readonly object: "manifest" | "blob" | "token" | "ping";
  /** Set when the request writes (an upload, a manifest PUT, their token): the messages say push. @default pull */
  readonly action?: "push";
  /** For manifests: fetched by tag or by digest (the hint differs). */
  readonly by?: "tag" | "digest";
  /** For blobs: the digest. */
  readonly digest?: string;
  /** Whether credentials (basic or a token obtained with them) were sent. */
  readonly credentialsSent: boolean;
  /** A bearer challenge said `error="insufficient_scope"`. */
  readonly insufficientScope?: boolean;
  /** Retry-After of the answer, in milliseconds. */
  readonly retryAfterMs?: number;
}

const DEFAULT_MESSAGE: Readonly<Record<number, string>> = {
  400: "bad request",
  401: "authentication required",
  403: "access denied",
  404: "not found",
  405: "method not allowed",
  408: "request timeout",
  429: "too many requests",
  500: "internal server error",
  501: "not implemented",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/** The error for a non-2xx answer, with a hint a person can act on. */
export function classifyResponse(status: number, body: RegistryErrorBody, ctx: RequestContext): RegistryError {
  const { codes } = body;
  const what = body.messages[0] ?? DEFAULT_MESSAGE[status] ?? `HTTP ${status}`;
  const head = `${ctx.image}: ${what} (${status}${codes.length ? ` ${codes.join(", ")}` : ""})`;
  const make = (kind: RegistryErrorKind, hint: string, retryable?: boolean) =>
    new RegistryError({
      kind,
      status,
      codes,
      message: `${head}: ${hint}`,
      ...(retryable !== undefined && { retryable }),
      ...(ctx.retryAfterMs !== undefined && { retryAfterMs: ctx.retryAfterMs }),
    });

  const denied = codes.includes("DENIED") || ctx.insufficientScope === true;
  const push = ctx.action === "push";
  const verb = push ? "push to" : "pull";
  if (ctx.object === "token") {
    if (status === 401) {
      return make("Unauthorized", ctx.credentialsSent
        ? `the token server of ${ctx.registry} rejected the credentials`
        : `the token server of ${ctx.registry} requires credentials for ${ctx.repository}`);
    }
    if (status === 403) return make("Forbidden", `the token server of ${ctx.registry} refused access to ${ctx.repository}; the credentials may not ${verb} it`);
  }
  if (status === 401) {
    // A bearer token that was issued with credentials but lacks the scope: the credentials are fine, the access is not.
    if (denied && ctx.credentialsSent) return make("Forbidden", `the credentials may not ${verb} ${ctx.repository} (or the repository does not exist)`);
    return make("Unauthorized", ctx.credentialsSent ? `${ctx.registry} rejected the credentials` : `${ctx.registry} requires credentials for ${ctx.repository}`);
  }
  if (status === 403) {
    return make("Forbidden", ctx.credentialsSent
      ? `the credentials may not ${verb} ${ctx.repository}`
      : `anonymous ${push ? "pushes to" : "pulls of"} ${ctx.repository} are not allowed; ${ctx.registry} requires credentials`);
  }
  if (status === 404 && push) {
    // The registry forgot an upload (expired, or another replica behind a load balancer): start it again.
    if (codes.includes("BLOB_UPLOAD_UNKNOWN")) return make("NotFound", `${ctx.registry} does not know the upload any more; it is started again`, true);
    if (codes.includes("NAME_UNKNOWN")) return make("NotFound", `the repository ${ctx.repository} does not exist on ${ctx.registry}, which does not create repositories on push; create it first`);
  }
  if (status === 404) {
    if (codes.includes("NAME_UNKNOWN")) return make("NotFound", `the repository ${ctx.repository} does not exist on ${ctx.registry}`);
    if (codes.includes("BLOB_UNKNOWN") || ctx.object === "blob") return make("NotFound", `the blob${ctx.digest ? ` ${ctx.digest}` : ""} is missing from the registry although a manifest lists it`);
    if (ctx.object === "ping") return make("Unsupported", `${ctx.registry} does not serve the registry API (/v2/)`);
    if (ctx.object === "token") return make("Unsupported", `the token realm of ${ctx.registry} does not exist`);
    return make("NotFound", ctx.by === "digest" ? "no manifest with this digest exists in the repository" : "the tag does not exist");
  }
  if (status === 429) {
    const after = ctx.retryAfterMs !== undefined ? ` (Retry-After: ${Math.ceil(ctx.retryAfterMs / 1000)}s)` : "";
    return make("TooManyRequests", `${ctx.registry} is rate limiting requests; try again later${after}`);
  }
  if (status === 408 || status === 504) return make("Timeout", `${ctx.registry} timed out; try again later`);
  if (status >= 500) {
    if (status === 501 || status === 505) return make("Unsupported", `${ctx.registry} does not support this request`, false);
    return make("Server", `${ctx.registry} failed; try again later`, RETRYABLE_STATUSES.has(status));
  }
  return make("Unsupported", `${ctx.registry} did not accept the request`);
}

const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);
const RETRYABLE_NET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
/** REQUEST_TIMEOUT: the client's own per-request timer. */
const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT", "ABORT_ERR_TIMEOUT", "REQUEST_TIMEOUT"]);

/** The error code of err or of the first error in its cause chain that has one. */
export function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    if ((e as { name?: unknown }).name === "TimeoutError") return "ABORT_ERR_TIMEOUT";
  }
  return undefined;
}

function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const m = e instanceof Error ? e.message : String(e);
    if (m && !parts.some((p) => p.includes(m))) parts.push(m);
  }
  return sanitize(parts.join(": "));
}

/** The error for a request that got no HTTP answer. `host` is the host[:port] that was contacted. */
export function classifyNetworkError(err: unknown, ctx: { readonly image: string; readonly host: string; readonly timeoutMs?: number }): RegistryError {
  if (err instanceof RegistryError) return err;
  const code = errorCode(err);
  const text = errorText(err);
  if (code !== undefined && TLS_CODES.has(code)) {
    return new RegistryError({
      kind: "Unreachable",
      retryable: false,
      tlsFailure: "UntrustedCertificate",
      cause: err,
      message: `${ctx.image}: TLS verification of ${ctx.host} failed (${code}: ${text}): trust the registry's CA, or skip verification for this registry if it cannot present a trusted certificate`,
    });
  }
  if (code === "EPROTO" || /wrong version number|packet length too long/i.test(text)) {
    return new RegistryError({
      kind: "Unreachable",
      retryable: false,
      tlsFailure: "NotTls",
      cause: err,
      message: `${ctx.image}: TLS handshake with ${ctx.host} failed (${text}): the registry may speak plain HTTP`,
    });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    const what = code === "UND_ERR_BODY_TIMEOUT" ? "stopped sending data" : code === "UND_ERR_CONNECT_TIMEOUT" ? "did not accept a connection" : "did not answer";
    const limit = ctx.timeoutMs !== undefined ? ` within ${ctx.timeoutMs} ms` : "";
    return new RegistryError({ kind: "Timeout", cause: err, message: `${ctx.image}: ${ctx.host} ${what}${limit} (${code}); check that the registry is up and reachable from here` });
  }
  if (code === "ENOTFOUND") {
    return new RegistryError({ kind: "Unreachable", retryable: false, cause: err, message: `${ctx.image}: cannot resolve ${ctx.host} (${text}): check the registry name` });
  }
  return new RegistryError({
    kind: "Unreachable",
    retryable: code === undefined || RETRYABLE_NET_CODES.has(code),
    cause: err,
    message: `${ctx.image}: cannot reach ${ctx.host} (${code ? `${code}: ` : ""}${text}); check the registry host and port and that it is reachable from here`,
  });
}

// Query parameters that are safe to show; every other value is replaced (pre-signed storage URLs carry signatures).
const SAFE_QUERY_PARAMS = new Set(["service", "scope", "n", "last", "digest", "mount", "from", "account", "client_id"]);

/** A URL without userinfo password and with the values of all but a few harmless query parameters replaced. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(url.toString());
  } catch {
    return redactSecrets(String(url));
  }
  if (u.password) u.password = "REDACTED";
  if (u.username && u.password === "") u.username = "REDACTED";
  for (const key of [...new Set(u.searchParams.keys())]) {
    if (!SAFE_QUERY_PARAMS.has(key.toLowerCase())) u.searchParams.set(key, "REDACTED");
  }
  return u.toString();
}

/**
 * Text with known secrets and anything shaped like one replaced: `Bearer …`/`Basic …` credentials,
 * `user:pass@` in URLs, JWTs, and token-like query values.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("REDACTED");
  return out
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, "$1 REDACTED")
    .replace(/(\/\/[^/\s:@]*):[^/\s@]*@/g, "$1:REDACTED@")
    .replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, "REDACTED")
    .replace(/([?&](?:access_token|token|refresh_token|password|signature|sig|x-amz-signature|x-amz-credential|x-goog-signature|x-goog-credential)=)[^&\s"]*/gi, "$1REDACTED");
}

/** Control characters out, length capped: registry text goes into our messages and logs. */
function sanitize(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return redactSecrets(clean.length > 300 ? `${clean.slice(0, 300)}…` : clean);
}
