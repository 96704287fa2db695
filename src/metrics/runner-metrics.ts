import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { METRIC_PREFIX } from "./metrics.js";

// The job runner's metrics (README "Operating"), on the server's registry.

export interface RunnerMetrics {
  jobCreated(stage: string): void;
  jobOutcome(stage: string, verdict: string): void;
  /** A sweep re-planned every PreflightValidationOCP: how long it took, and how many passes failed. */
  sweep(seconds: number, failures: number): void;
  reconcileFailed(): void;
}

export interface RunnerMetricsSources {
  /** Keys waiting in the work queue (or being processed). */
  readonly queueDepth: () => number;
  /** This product's Jobs that have not finished, cluster-wide. */
  readonly runningJobs: () => number;
}

const SWEEP_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createRunnerMetrics(registry: Registry, sources: RunnerMetricsSources): RunnerMetrics {
  const created = new Counter({
    name: `${METRIC_PREFIX}jobs_created_total`,
    help: "Validation Jobs created, by stage (image, build, sign).",
    labelNames: ["stage"] as const,
    registers: [registry],
  });
  const outcomes = new Counter({
    name: `${METRIC_PREFIX}job_outcomes_total`,
    help: "Validation checks concluded, by stage and verdict (true, false, error); a Pod that could not start counts as error.",
    labelNames: ["stage", "verdict"] as const,
    registers: [registry],
  });
  const sweepDuration = new Histogram({
    name: `${METRIC_PREFIX}sweep_duration_seconds`,
    help: "Time for one sweep to re-plan every PreflightValidationOCP.",
    buckets: SWEEP_BUCKETS,
    registers: [registry],
  });
  const sweepErrors = new Counter({
    name: `${METRIC_PREFIX}sweep_errors_total`,
    help: "Passes over a PreflightValidationOCP that failed during a sweep (retried with backoff).",
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: `${METRIC_PREFIX}reconcile_errors_total`,
    help: "Passes over a PreflightValidationOCP that failed, sweep or not (retried with backoff).",
    registers: [registry],
  });
  new Gauge({
    name: `${METRIC_PREFIX}queue_depth`,
    help: "PreflightValidationOCPs waiting in the runner's work queue.",
    registers: [registry],
    collect() {
      this.set(sources.queueDepth());
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}running_jobs`,
    help: "This product's validation Jobs that have not finished, cluster-wide (capped by --max-running-jobs).",
    registers: [registry],
    collect() {
      this.set(sources.runningJobs());
    },
  });
  for (const stage of ["image", "build", "sign"]) created.inc({ stage }, 0);
  return {
    jobCreated: (stage) => created.inc({ stage }),
    jobOutcome: (stage, verdict) => outcomes.inc({ stage, verdict }),
    sweep(seconds, failures) {
      sweepDuration.observe(seconds);
      if (failures) sweepErrors.inc(failures);
    },
    reconcileFailed: () => reconcileErrors.inc(),
  };
}
