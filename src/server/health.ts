import express, { type Request, type Response } from "express";

/** A named readiness condition; returns undefined when ready, or why not. */
export interface ReadinessCheck {
  readonly name: string;
  readonly check: () => string | undefined;
}

/**
 * /healthz: the process serves HTTP. /readyz: every check passes, so the Service may route admission
 * traffic here. Bodies follow the API server's own health endpoints (`ok`, or `[-]name failed: reason`).
 */
export function healthRouter(checks: readonly ReadinessCheck[]): express.Router {
  const router = express.Router();
  router.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  router.get("/readyz", (req: Request, res: Response) => {
    const results = checks.map((c) => ({ name: c.name, failure: c.check() }));
    const failed = results.filter((r) => r.failure !== undefined);
    const verbose = req.query["verbose"] !== undefined || failed.length > 0;
    const lines = results.map((r) => (r.failure === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.failure}`));
    const body = verbose ? `${lines.join("\n")}\nreadyz check ${failed.length ? "failed" : "passed"}\n` : "ok";
    res.status(failed.length ? 503 : 200).type("text/plain").send(body);
  });
  return router;
}
