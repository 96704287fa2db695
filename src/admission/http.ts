import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "../log/logger.js";
import { decodeAdmissionReview } from "./review-decode.js";
import type { Outcome } from "./review-handle.js";
import { errored } from "./review-respond.js";
import { ADMISSION_API_VERSION, type AdmissionRequest, type AdmissionResponse } from "./review-types.js";

// The only admission file that knows about HTTP: parse, decode, hand to a pure handler, log, answer.

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
  /** Called once per answered request, e.g. to count it in metrics. */
  readonly onAdmission?: (r: AdmissionRecord) => void;
}

export const DEFAULT_BODY_LIMIT_BYTES = 7 * 1024 * 1024;

const review = (response: AdmissionResponse) => ({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response });

/** Body-parser failures, said the way a person debugging a webhook configuration needs to read them. */
function bodyErrorMessage(err: { type?: string; message?: string; limit?: number }): string {
  switch (err.type) {
    case "entity.too.large":
      return `request body exceeds the limit of ${err.limit} bytes`;
    case "entity.parse.failed":
      return `request body is not valid JSON: ${err.message}`;
    default:
      return `request body could not be read: ${err.message}`;
  }
}

export function admissionRouter(opts: AdmissionHttpOptions): express.Router {
  const log = opts.log.child({ component: "admission" });
  const router = express.Router();
  const json = express.json({ limit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, type: () => true });

  for (const route of opts.routes) {
    router.post(
      route.path,
      (req: Request, res: Response, next: NextFunction) => {
        if (req.is("application/json")) return next();
        const message = `Content-Type must be application/json, got ${JSON.stringify(req.get("content-type") ?? "")}`;
        log.warn("rejected admission request", { webhook: route.webhook, decision: "errored", reason: message });
        opts.onAdmission?.({ webhook: route.webhook, operation: "", decision: "errored", durationSeconds: 0 });
        res.status(400).json(review(errored("", 400, message)));
      },
      json,
      (req: Request, res: Response) => {
        const start = process.hrtime.bigint();
        const decoded = decodeAdmissionReview(req.body);
        const outcome: Outcome = decoded.ok
          ? route.handle(decoded.request)
          : { response: errored(decoded.uid, 400, decoded.message), decision: "errored", reason: decoded.message };
        const durationSeconds = Number(process.hrtime.bigint() - start) / 1e9;
        const r = decoded.ok ? decoded.request : undefined;
        log.log(outcome.decision === "errored" ? "warn" : "info", "admission", {
          webhook: route.webhook,
          uid: r?.uid ?? (decoded.ok ? undefined : decoded.uid),
          kind: r?.kind.kind,
          name: r?.name ?? (r?.object as { metadata?: { name?: string } } | undefined)?.metadata?.name,
          operation: r?.operation,
          dryRun: r?.dryRun ?? false,
          user: r?.userInfo?.username,
          decision: outcome.decision,
          ...(outcome.reason && { reason: outcome.reason }),
          // Not `message`: winston would append it to msg.
          ...(outcome.response.status && outcome.decision === "denied" && { denial: outcome.response.status.message }),
          warnings: outcome.response.warnings?.length ?? 0,
          duration: durationSeconds,
        });
        opts.onAdmission?.({ webhook: route.webhook, operation: r?.operation ?? "", decision: outcome.decision, durationSeconds });
        // A request we could not understand is an HTTP 400; a decision (even a 500 from our own bug) travels in an HTTP 200 review.
        res.status(outcome.response.status?.code === 400 ? 400 : 200).json(review(outcome.response));
      },
    );
  }

  // Body-parser errors (bad JSON, too large, bad encoding) for the routes above: 400 with a review, server stays up.
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    const route = opts.routes.find((r) => r.path === req.path);
    if (!route || res.headersSent) return next(err);
    const message = bodyErrorMessage(err as { type?: string; message?: string; limit?: number });
    log.warn("rejected admission request", { webhook: route.webhook, decision: "errored", reason: message });
    opts.onAdmission?.({ webhook: route.webhook, operation: "", decision: "errored", durationSeconds: 0 });
    res.status(400).json(review(errored("", 400, message)));
  });
  return router;
}
