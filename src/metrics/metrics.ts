import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AdmissionRecord } from "../admission/http.js";

// The server's Prometheus metrics, on a registry of their own (never prom-client's global one, so
// tests and several servers in one process do not share counters).

export const METRIC_PREFIX = "kmm_preflight_";

/** Admission runs in well under a millisecond; the buckets resolve that and still show a slow outlier. */
const ADMISSION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface ServerMetrics {
  readonly registry: Registry;
  observeAdmission(r: AdmissionRecord): void;
  setCertificateExpiry(notAfter: Date): void;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const requests = new Counter({
    name: `${METRIC_PREFIX}admission_requests_total`,
    help: "Admission requests answered, by webhook, operation and decision (allowed, patched, denied, skipped, errored).",
    labelNames: ["webhook", "operation", "decision"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${METRIC_PREFIX}admission_duration_seconds`,
    help: "Time to decide an admission request, from the decoded body to the response, by webhook.",
    labelNames: ["webhook"] as const,
    buckets: ADMISSION_BUCKETS,
    registers: [registry],
  });
  const certExpiry = new Gauge({
    name: `${METRIC_PREFIX}certificate_expiry_timestamp_seconds`,
    help: "notAfter of the serving certificate being served, as a Unix time.",
    registers: [registry],
  });
  return {
    registry,
    observeAdmission(r) {
      requests.inc({ webhook: r.webhook, operation: r.operation || "unknown", decision: r.decision });
      duration.observe({ webhook: r.webhook }, r.durationSeconds);
    },
    setCertificateExpiry: (notAfter) => certExpiry.set(notAfter.getTime() / 1000),
  };
}
