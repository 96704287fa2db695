import type { PlanConfig } from "./plan.js";

// What the plan's tests share: the time they plan at and the runner's settings.

export const T0 = Date.parse("2026-12-01T10:00:00Z");

/** metav1.Time as the plan writes it: whole seconds. */
export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export const CONFIG: PlanConfig = {
  jobImage: "quay.io/kmm/kmm-preflight:1.0",
  maxRunningJobs: 20,
  revalidateAfterMs: 600_000,
  jobDeadlineSeconds: 600,
  builderImage: "quay.io/buildah/stable:v1",
  buildDeadlineSeconds: 3600,
  errorBackoff: { initialMs: 10_000, maxMs: 300_000 },
  stuckAfterMs: 30_000,
};
