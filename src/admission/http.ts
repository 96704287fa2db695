import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log/logger.js";
import { createByteBudget } from "./byte-budget.js";
import { decodeAdmissionReview } from "./review-decode.js";
import type { Outcome } from "./review-handle.js";
import { errored } from "./review-respond.js";
import { ADMISSION_API_VERSION, type AdmissionRequest, type AdmissionResponse } from "./review-types.js";

// The only admission file that knows about HTTP: read the body, decode, hand to a pure handler, log,
// answer. A plain node:http(s) handler rather than an express router: every `kubectl apply` of a
// watched kind waits on this path, and express's router and body-parser cost 3x the time of the whole
// decision (bench/admission, docs/adr/0008-webhook-hot-path-without-express.md). express still serves everything else (src/server/app.ts).

export interface AdmissionRoute {
  readonly path: string;
  /** Short name for logs and metrics, e.g. "mutate-preflightvalidationocp". */
  readonly webhook: string;
  readonly handle: (r: AdmissionRequest) => Outcome;
}

export interface AdmissionRecord {
  readonly webhook: string;
  readonly operation: string;
  readonly decision: Outcome["decision"];
  readonly durationSeconds: number;
}

export interface AdmissionHttpOptions {
  readonly routes: readonly AdmissionRoute[];
  readonly log: Logger;
  /** Largest request body accepted. The API server sends at most ~3 MiB objects twice (object and oldObject). @default 7 MiB, as controller-runtime */
  readonly bodyLimitBytes?: number;
  /**
   * Request bodies read and held at once, in bytes; more requests wait with their bodies unread. Bounds
   * memory under many large reviews at once (bench/memory) without slowing them: their decisions run
   * one at a time on the event loop anyway. Bodies up to UNQUEUED_BODY_BYTES have a pool of this size
   * of their own first.
   * @default DEFAULT_BUFFERED_BODY_BYTES (16 MiB)
   */
  readonly bufferedBodyBytes?: number;
  /** Called once per answered request, e.g. to count it in metrics. */
  readonly onAdmission?: (r: AdmissionRecord) => void;
  /** While true, answers ask the client to close its connection (graceful shutdown). */
  readonly draining?: () => boolean;
}

export const DEFAULT_BODY_LIMIT_BYTES = 7 * 1024 * 1024;
export const DEFAULT_BUFFERED_BODY_BYTES = 16 * 1024 * 1024;
/**
 * Bodies declared this small are read at once from a pool of their own (as large as the budget) while
 * it has room. Every review the API server sends in practice is this small (a few KiB, tens with a
 * large Module), and the budget is reserved by declared length: clients that declare large bodies and
 * then send nothing would otherwise hold it, and every review queued behind them would wait past the
 * API server's timeout. Once the pool is full, small bodies queue on the budget too, so memory stays
 * bounded (twice the budget) however many clients hold half-sent bodies.
 */
export const UNQUEUED_BODY_BYTES = 256 * 1024;

/** Handles a request if it is for one of the routes (returns true), else leaves it alone (false). */
export type AdmissionHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A string for the log, capped; anything else is left out. */
const logString = (v: unknown, max = 256): string | undefined => (typeof v === "string" ? (v.length > max ? `${v.slice(0, max)}…` : v) : undefined);

/** The request uid for an error answer, read without trusting the body's shape. */
function uidOf(text: string): string {
  try {
    const uid = (JSON.parse(text) as { request?: { uid?: unknown } }).request?.uid;
    return typeof uid === "string" ? uid : "";
  } catch {
    return "";
  }
}

const isJson = (contentType: string | undefined) => (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase() === "application/json";

export function admissionHandler(opts: AdmissionHttpOptions): AdmissionHandler {
  const log = opts.log.child({ component: "admission" });
  const limit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const routes = new Map(opts.routes.map((r) => [r.path, r]));
  const tooLarge = `request body exceeds the limit of ${limit} bytes`;
  const buffered = opts.bufferedBodyBytes ?? DEFAULT_BUFFERED_BODY_BYTES;
  const budget = createByteBudget(buffered);
  const smallBodies = createByteBudget(buffered);

  const send = (res: ServerResponse, status: number, response: AdmissionResponse) => {
    const body = JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response });
    const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": Buffer.byteLength(body) };
    if (status !== 200 || opts.draining?.()) headers["connection"] = "close";
    res.writeHead(status, headers).end(body);
  };

  // Said the way a person debugging a webhook configuration needs to read it; the server stays up.
  const reject = (route: AdmissionRoute, res: ServerResponse, message: string) => {
    log.warn("rejected admission request", { webhook: route.webhook, decision: "errored", reason: message });
    opts.onAdmission?.({ webhook: route.webhook, operation: "", decision: "errored", durationSeconds: 0 });
    send(res, 400, errored("", 400, message));
  };

  const answer = (route: AdmissionRoute, res: ServerResponse, text: string) => {
    const start = process.hrtime.bigint();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return reject(route, res, `request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    const decoded = decodeAdmissionReview(parsed);
    const outcome: Outcome = decoded.ok
      ? route.handle(decoded.request)
      : { response: errored(decoded.uid, 400, decoded.message), decision: "errored", reason: decoded.message };
    const durationSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const r = decoded.ok ? decoded.request : undefined;
    // Only fields of the expected type reach the log: the request is untrusted, and a hostile value
    // (a deeply nested array as a name) must not break the log line, let alone the process.
    log.log(outcome.decision === "errored" ? "warn" : "info", "admission", {
      webhook: route.webhook,
      uid: logString(r?.uid ?? (decoded.ok ? undefined : decoded.uid)),
      kind: logString(r?.kind.kind),
      name: logString(r?.name) ?? logString((r?.object as { metadata?: { name?: unknown } } | undefined)?.metadata?.name),
      operation: logString(r?.operation),
      dryRun: r?.dryRun === true,
      user: logString(r?.userInfo?.username),
      decision: outcome.decision,
      ...(outcome.reason && { reason: logString(outcome.reason, 1024) }),
      // Not `message`: winston would append it to msg.
      ...(outcome.response.status && outcome.decision === "denied" && { denial: logString(outcome.response.status.message, 4096) }),
      warnings: outcome.response.warnings?.length ?? 0,
      duration: durationSeconds,
    });
    opts.onAdmission?.({ webhook: route.webhook, operation: r?.operation ?? "", decision: outcome.decision, durationSeconds });
    // A request we could not understand is an HTTP 400; a decision (even a 500 from our own bug) travels in an HTTP 200 review.
    send(res, outcome.response.status?.code === 400 ? 400 : 200, outcome.response);
  };

  /** Whatever goes wrong outside the pure handlers (which guard themselves) still gets a review, and the server stays up. */
  const answerSafely = (route: AdmissionRoute, res: ServerResponse, text: string) => {
    try {
      answer(route, res, text);
    } catch (err) {
      log.error("admission request failed", { webhook: route.webhook, error: logString(err instanceof Error ? err.message : String(err), 1024) });
      if (!res.headersSent) send(res, 500, errored(uidOf(text), 500, "internal error while answering the admission request"));
    }
  };

  /**
   * Reads the body into one buffer of the declared size (Node's parser never delivers more than
   * Content-Length), so neither a chunk list nor a copy of it is held beside the text.
   */
  const readBody = (route: AdmissionRoute, req: IncomingMessage, res: ServerResponse, declared: number) => {
    let body = Buffer.allocUnsafe(declared);
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      if (size + c.length > declared) {
        over = true;
        body = Buffer.alloc(0);
        return reject(route, res, tooLarge);
      }
      c.copy(body, size);
      size += c.length;
    });
    req.on("end", () => {
      if (!over) answerSafely(route, res, body.toString("utf8", 0, size));
    });
  };

  return (req, res) => {
    const route = req.method === "POST" ? routes.get((req.url ?? "").split("?", 1)[0]!) : undefined;
    if (!route) return false;
    if (!isJson(req.headers["content-type"])) {
      req.resume();
      reject(route, res, `Content-Type must be application/json, got ${JSON.stringify(req.headers["content-type"] ?? "")}`);
      return true;
    }
    if (Number(req.headers["content-length"] ?? 0) > limit) {
      req.resume();
      reject(route, res, tooLarge);
      return true;
    }
    req.on("error", (err) => log.warn("admission request aborted", { webhook: route.webhook, error: err.message }));
    // The API server always sends Content-Length; without one (chunked), room for the largest body is taken.
    const length = Number(req.headers["content-length"]);
    const declared = req.headers["content-length"] !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : limit;
    // Given back once the answer is sent or the connection is gone, whichever comes first.
    const unqueued = declared <= UNQUEUED_BODY_BYTES ? smallBodies.tryTake(declared) : undefined;
    if (unqueued) {
      res.once("close", unqueued);
      readBody(route, req, res, declared);
      return true;
    }
    const release = budget.take(declared, () => readBody(route, req, res, declared));
    res.once("close", release);
    return true;
  };
}
