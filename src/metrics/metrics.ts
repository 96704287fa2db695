import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AdmissionRecord } from "../admission/http.js";
import { type PreflightValidationOCP, VERIFICATION_STATUSES, type VerificationStatus } from "../api/index.js";
import { type StatusCounts, toPreflightStatus } from "../status/status-report.js";

// The server's Prometheus metrics, on a registry of their own (never prom-client's global one, so
// tests and several servers in one process do not share counters).

export const METRIC_PREFIX = "kmm_preflight_";

/** Admission runs in well under a millisecond; the buckets resolve that and still show a slow outlier. */
const ADMISSION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export interface ServerMetrics {
  readonly registry: Registry;
  observeAdmission(r: AdmissionRecord): void;
  setCertificateExpiry(notAfter: Date): void;
  setLeader(leading: boolean): void;
}

export interface ServerMetricsSources {
  /** The cluster's PreflightValidationOCP objects, undefined until known (no cluster, cache not synced). */
  readonly preflights?: () => readonly PreflightValidationOCP[] | undefined;
}

/**
 * Which of `kmm-preflight status`'s counts each verification_status label reports: the CLI's classifier,
 * so the metric and the command agree on every entry. Status is written by the runner through the API
 * and may hold anything: an entry with an invalid field (an odd status, no lastTransitionTime) counts as
 * unknown. Every status gets a series, zeros included, so `== 0` alerts and ratios work from the start.
 */
const COUNT_OF: Readonly<Record<VerificationStatus, keyof StatusCounts>> = { true: "verified", false: "failed", error: "error", unknown: "pending" };

export function createServerMetrics(sources: ServerMetricsSources = {}): ServerMetrics {
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
  const leader = new Gauge({
    name: `${METRIC_PREFIX}leader`,
    help: "1 while this replica holds the leader Lease, else 0.",
    registers: [registry],
  });
  leader.set(0);
  const preflights = sources.preflights;
  if (preflights) {
    new Gauge({
      name: `${METRIC_PREFIX}modules`,
      help: "Modules in each PreflightValidationOCP's status.modules, by verificationStatus (a malformed entry counts as unknown); read from the watch cache at scrape time.",
      labelNames: ["preflight", "verification_status"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const p of preflights() ?? []) {
          const { name, counts } = toPreflightStatus(p);
          for (const status of VERIFICATION_STATUSES) this.set({ preflight: name, verification_status: status }, counts[COUNT_OF[status]]);
        }
      },
    });
  }
  return {
    registry,
    observeAdmission(r) {
      requests.inc({ webhook: r.webhook, operation: r.operation || "unknown", decision: r.decision });
      duration.observe({ webhook: r.webhook }, r.durationSeconds);
    },
    setCertificateExpiry: (notAfter) => certExpiry.set(notAfter.getTime() / 1000),
    setLeader: (leading) => leader.set(leading ? 1 : 0),
  };
}
