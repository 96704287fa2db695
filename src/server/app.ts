import type { IncomingMessage, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { type AdmissionHttpOptions, admissionHandler } from "../admission/http.js";
import { type ReadinessCheck, healthRouter } from "./health.js";

export interface AppOptions extends AdmissionHttpOptions {
  readonly readiness: readonly ReadinessCheck[];
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** The webhooks on their own fast path; express serves health endpoints, 404s and anything else. */
export function createApp(opts: AppOptions): RequestListener {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (opts.draining?.()) res.setHeader("Connection", "close");
    next();
  });
  app.use(healthRouter(opts.readiness));
  app.use((req: Request, res: Response) => {
    res.status(404).json({ message: `no handler for ${req.method} ${req.path}` });
  });
  // Last resort: a bug answers 500 and is logged; the server keeps serving.
  const log = opts.log.child({ component: "http" });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    log.error("unhandled error", { path: req.path, error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) res.status(500).json({ message: "internal error" });
  });
  const admission = admissionHandler(opts);
  return (req, res) => {
    if (!admission(req, res)) app(req, res);
  };
}
