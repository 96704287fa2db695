// HTTP for the registry client: one undici Agent per TLS policy, redirects followed by hand so that
// Authorization only ever goes to the origin it belongs to, timeouts, and retries with backoff.
import { rootCertificates } from "node:tls";
import type { IncomingHttpHeaders } from "node:http";
import { Agent, request } from "undici";
import type { Logger } from "../log/logger.js";
import { RETRYABLE_STATUSES, RegistryError, classifyNetworkError, classifyResponse, parseErrorBody, redactUrl, type RequestContext } from "./registry-error.js";
import { type BackoffOptions, backoffDelay } from "../util/backoff.js";
import type { Clock } from "../util/clock.js";
import { parseRetryAfter } from "./retry-policy.js";

type BodyReadable = Awaited<ReturnType<typeof request>>["body"];

export interface TransportOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: BackoffOptions;
  readonly maxRetryAfterMs: number;
  readonly userAgent: string;
  readonly ca?: readonly string[];
  readonly log?: Logger;
  readonly random: () => number;
  readonly clock: Clock;
}

/** A response whose body the caller must consume or dump. */
export interface Exchange {
  /** The URL that answered, after redirects. */
  readonly url: URL;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: BodyReadable;
}

/** The first value of a response header. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A response read completely into memory. */
export interface SmallReply {
  readonly url: URL;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: Buffer;
}

export interface SendInit {
  readonly method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH";
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent again as is after a redirect or on a retry. */
  readonly body?: string | Buffer;
  /** Overrides the transport's retries for this request: 0 for requests that are not idempotent (a blob upload's PUT). */
  readonly retries?: number;
  /** Sent only to requests whose origin is `origin`, never after a redirect to another host. */
  readonly authorization?: { readonly origin: string; readonly header: string };
  /** Verify the server's certificate. */
  readonly verify: boolean;
  /** For messages: the image and what the request is about. */
  readonly ctx: RequestContext;
  readonly signal?: AbortSignal;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 5;
/** How much of an error body is read for its codes. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

export class Transport {
  private readonly agents = new Map<boolean, Agent>();

  constructor(private readonly o: TransportOptions) {}

  private agent(verify: boolean): Agent {
    let a = this.agents.get(verify);
    if (!a) {
      a = new Agent({
        connect: {
          timeout: this.o.timeoutMs,
          rejectUnauthorized: verify,
          // Node's bundled roots plus the extra CAs; without extra CAs Node's default store (which honours NODE_EXTRA_CA_CERTS).
          ...(verify && this.o.ca?.length && { ca: [...rootCertificates, ...this.o.ca] }),
        },
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
      });
      this.agents.set(verify, a);
    }
    return a;
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
  }

  /** One request, following redirects. Authorization is attached only while the URL's origin is `authorization.origin`. */
  private async sendOnce(url: URL, init: SendInit, signal: AbortSignal): Promise<Exchange> {
    let current = url;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { "user-agent": this.o.userAgent, ...init.headers };
      if (init.authorization && current.origin === init.authorization.origin) headers["authorization"] = init.authorization.header;
      const started = this.o.clock.now();
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(current, {
          method: init.method ?? "GET",
          headers,
          ...(init.body !== undefined && { body: init.body }),
          dispatcher: this.agent(init.verify),
          signal,
          headersTimeout: this.o.timeoutMs,
          bodyTimeout: this.o.timeoutMs,
        });
      } catch (err) {
        this.o.log?.debug("registry request failed", { method: init.method ?? "GET", url: redactUrl(current), error: errorName(err) });
        // After a redirect the message must name the host that failed (e.g. blob storage), not the registry.
        if (hop > 0 && current.host !== url.host && !init.signal?.aborted) {
          throw classifyNetworkError(signal.aborted ? signal.reason : err, { image: init.ctx.image, host: `${current.host} (redirected to by ${url.host})`, timeoutMs: this.o.timeoutMs });
        }
        throw err;
      }
      this.o.log?.debug("registry request", { method: init.method ?? "GET", url: redactUrl(current), status: res.statusCode, durationMs: Math.round(this.o.clock.now() - started) });
      const location = res.headers["location"];
      if (REDIRECT_STATUSES.has(res.statusCode) && typeof location === "string" && location !== "") {
        await res.body.dump().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) {
          throw new RegistryError({ kind: "Unsupported", status: res.statusCode, message: `${init.ctx.image}: more than ${MAX_REDIRECTS} redirects, last to ${redactUrl(new URL(location, current))}` });
        }
        const next = new URL(location, current);
        if (next.protocol !== "https:" && next.protocol !== "http:") {
          throw new RegistryError({ kind: "Unsupported", status: res.statusCode, message: `${init.ctx.image}: the registry redirected to a ${next.protocol} URL, which the client does not follow` });
        }
        current = next;
        continue;
      }
      return { url: current, status: res.statusCode, headers: res.headers, body: res.body };
    }
  }

  /**
   * Runs `attempt` until it succeeds, a non-retryable error occurs, or retries run out. Each attempt gets a
   * signal that aborts on the caller's signal or after `timeoutMs` (call `headersArrived` to stop the timer,
   * for streams whose body may take longer). A caller abort is rethrown as is and never retried.
   */
  private async retrying<T>(url: URL, init: SendInit, attempt: (signal: AbortSignal, headersArrived: () => void) => Promise<T>): Promise<T> {
    const host = hostOf(url, init);
    for (let n = 0; ; n++) {
      init.signal?.throwIfAborted();
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(new RegistryTimeout()), this.o.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, timer.signal]) : timer.signal;
      let error: RegistryError;
      try {
        return await attempt(signal, () => clearTimeout(timeout));
      } catch (err) {
        if (init.signal?.aborted) throw init.signal.reason;
        error = err instanceof RegistryError ? err : classifyNetworkError(timer.signal.aborted ? timer.signal.reason : err, { image: init.ctx.image, host, timeoutMs: this.o.timeoutMs });
      } finally {
        clearTimeout(timeout);
      }
      await this.backOff(error, n, init.retries ?? this.o.retries, { image: init.ctx.image, host }, init.signal);
    }
  }

  /** Waits before attempt n+2 after attempt n+1 failed with `error`, or throws it when it is not to be retried. */
  private async backOff(error: RegistryError, n: number, retries: number, where: { image: string; host: string }, signal: AbortSignal | undefined): Promise<void> {
    if (!error.retryable || n >= retries) throw error;
    let delay = backoffDelay(n, this.o.backoff, this.o.random);
    if (error.retryAfterMs !== undefined) {
      if (error.retryAfterMs > this.o.maxRetryAfterMs) throw error;
      delay = Math.max(delay, error.retryAfterMs);
    }
    this.o.log?.warn("registry request failed, retrying", { ...where, attempt: n + 1, of: retries + 1, delayMs: delay, kind: error.kind, status: error.status });
    await this.o.clock.sleep(delay, signal);
    signal?.throwIfAborted();
  }

  /**
   * Runs an operation of several requests (a blob upload: start, data, commit) again from its start
   * when it fails with a retryable RegistryError, with the same backoff as single requests. Its
   * requests should not retry on their own (`retries: 0`): a half-done upload cannot be resumed safely.
   */
  async retryOperation<T>(where: { image: string; host: string }, signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    for (let n = 0; ; n++) {
      signal?.throwIfAborted();
      try {
        return await operation();
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (!(err instanceof RegistryError)) throw err;
        await this.backOff(err, n, this.o.retries, where, signal);
      }
    }
  }

  /** Throws the classified error for a retryable status (after reading its body) so that `retrying` retries it. */
  private async throwIfRetryable(ex: Exchange, init: SendInit): Promise<void> {
    if (!RETRYABLE_STATUSES.has(ex.status)) return;
    const text = (await readLimited(ex.body, ex.headers, MAX_ERROR_BODY_BYTES).catch(() => Buffer.alloc(0))).toString("utf8");
    const retryAfterMs = parseRetryAfter(ex.headers["retry-after"], this.o.clock.wallNow().getTime());
    throw classifyResponse(ex.status, parseErrorBody(text), retryAfterMs !== undefined ? { ...init.ctx, retryAfterMs } : init.ctx);
  }

  /**
   * A request whose whole answer (at most `limit` bytes for 2xx, less for errors) is read within the timeout.
   * Retryable statuses are retried; any other status is returned.
   */
  async fetchSmall(url: URL, init: SendInit, limit: number, tooLarge: (size: number) => RegistryError): Promise<SmallReply> {
    return this.retrying(url, init, async (signal) => {
      const ex = await this.sendOnce(url, init, signal);
      await this.throwIfRetryable(ex, init);
      const ok = ex.status >= 200 && ex.status < 300;
      // A HEAD's Content-Length is the size of what a GET would send, not of a body: there is none to read.
      if (init.method === "HEAD") {
        await ex.body.dump().catch(() => undefined);
        return { url: ex.url, status: ex.status, headers: ex.headers, bytes: Buffer.alloc(0) };
      }
      const bytes = await readLimited(ex.body, ex.headers, ok ? limit : MAX_ERROR_BODY_BYTES).catch((err: unknown) => {
        if (err instanceof TooLarge) {
          if (ok) throw tooLarge(err.size);
          return Buffer.alloc(0);
        }
        throw err;
      });
      return { url: ex.url, status: ex.status, headers: ex.headers, bytes };
    });
  }

  /** A request whose body is left to the caller: the timeout covers only the time until the headers arrive. */
  async openStream(url: URL, init: SendInit): Promise<Exchange> {
    return this.retrying(url, init, async (signal, headersArrived) => {
      const ex = await this.sendOnce(url, init, signal);
      headersArrived();
      await this.throwIfRetryable(ex, init);
      return ex;
    });
  }
}

/** Thrown when an attempt's timer fires; classified as Timeout. */
class RegistryTimeout extends Error {
  readonly code = "REQUEST_TIMEOUT";
  constructor() {
    super("request timed out");
  }
}

class TooLarge extends Error {
  constructor(readonly size: number) {
    super(`response larger than ${size} bytes`);
  }
}

function hostOf(url: URL, init: SendInit): string {
  return init.ctx.object === "token" ? `${url.host} (the token server of ${init.ctx.registry})` : url.host;
}

function errorName(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.name : "error";
}

/** Reads at most `limit` bytes; more (announced by Content-Length or received) destroys the body and throws TooLarge. */
export async function readLimited(body: BodyReadable, headers: IncomingHttpHeaders, limit: number): Promise<Buffer> {
  const announced = Number(headers["content-length"]);
  if (Number.isFinite(announced) && announced > limit) {
    abandon(body);
    throw new TooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    n += buf.length;
    if (n > limit) {
      abandon(body);
      throw new TooLarge(limit);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, n);
}

/** Stops reading a response body and closes its connection; the abort error undici then emits is expected. */
export function abandon(body: BodyReadable): void {
  body.on("error", () => undefined);
  body.destroy();
}
