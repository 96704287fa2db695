import type { ImageStageResult } from "./image-stage.js";

/** The kubelet keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;

/**
 * The image stage's results as compact JSON that fits a termination message, so the Job's outcome
 * can be read from the Pod's status without logs. Reasons are shortened, never dropped; every
 * other field stays whole.
 */
export interface StageReport {
  readonly kernel?: string;
  readonly results: readonly ImageStageResult[];
  /** What kept Modules from being checked at all (e.g. the release image has no kernel). */
  readonly errors: readonly string[];
}

const shorten = (s: string, max: number) => (s.length > max ? `${s.slice(0, Math.max(max - 1, 0))}…` : s);

export function terminationMessage(report: StageReport, maxBytes = TERMINATION_MESSAGE_MAX_BYTES): string {
  let max = Math.max(...report.results.map((r) => r.reason.length), ...report.errors.map((e) => e.length), 0);
  for (;;) {
    const text = JSON.stringify({
      ...(report.kernel !== undefined && { kernel: report.kernel }),
      results: report.results.map((r) => ({ ...r, reason: shorten(r.reason, max) })),
      errors: report.errors.map((e) => shorten(e, max)),
    });
    if (Buffer.byteLength(text) <= maxBytes || max === 0) return text;
    max = Math.floor(max * 0.8);
  }
}
