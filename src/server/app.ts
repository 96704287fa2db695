import express, { type NextFunction, type Request, type Response } from "express";
import { type AdmissionHttpOptions, admissionRouter } from "../admission/http.js";
import type { Logger } from "../log/logger.js";
import { type ReadinessCheck, healthRouter } from "./health.js";

export interface AppOptions extends AdmissionHttpOptions {
  readonly readiness: readonly ReadinessCheck[];
  /** While true, every response asks the client to close its connection, so keep-alive clients move to another replica. */
  readonly draining?: () => boolean;
}

export function createApp(opts: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (opts.draining?.()) res.setHeader("Connection", "close");
    next();
  });
  app.use(healthRouter(opts.readiness));
  app.use(admissionRouter(opts));
  app.use((req: Request, res: Response) => {
    res.status(404).json({ message: `no handler for ${req.method} ${req.path}` });
  });
  // Last resort: a bug answers 500 and is logged; the server keeps serving.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    errorLog(opts.log).error("unhandled error", { path: req.path, error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) res.status(500).json({ message: "internal error" });
  });
  return app;
}

const errorLog = (log: Logger) => log.child({ component: "http" });
