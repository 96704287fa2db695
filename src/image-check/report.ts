import type { ImageStageResult } from "./image-stage.js";

/** The kubelet keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;

export interface StageReport {
  readonly kernel?: string;
  readonly results: readonly ImageStageResult[];
  /** What kept Modules from being checked at all (e.g. the release image has no kernel). */
  readonly errors: readonly string[];
}

const shorten = (s: string, max: number) => (s.length > max ? `${s.slice(0, Math.max(max - 1, 0))}…` : s);

/** Each step gives up detail a reader can get elsewhere (the Job's log), keeping verdicts to the last. */
const SHRINK_STEPS: ((r: ImageStageResult) => Partial<ImageStageResult>)[] = [
  (r) => r,
  ({ namespace, name, kernel, verificationStatus, reason, mappingIndex, skipped }) => ({ namespace, name, kernel, verificationStatus, reason, mappingIndex, skipped }),
  ({ namespace, name, verificationStatus, reason, skipped }) => ({ namespace, name, verificationStatus, reason, skipped }),
];

/**
 * The image stage's results as compact JSON that fits a termination message, so the Job's outcome
 * can be read from the Pod's status without logs. Reasons are shortened first, then optional fields
 * dropped; if even bare verdicts do not fit, the message carries counts and `"truncated": true`.
 */
export function terminationMessage(report: StageReport, maxBytes = TERMINATION_MESSAGE_MAX_BYTES): string {
  const fits = (text: string) => Buffer.byteLength(text) <= maxBytes;
  for (const step of SHRINK_STEPS) {
    let max = Math.max(...report.results.map((r) => r.reason.length), ...report.errors.map((e) => e.length), 0);
    for (;;) {
      const text = JSON.stringify({
        ...(report.kernel !== undefined && { kernel: report.kernel }),
        results: report.results.map((r) => ({ ...step(r), reason: shorten(r.reason, max) })),
        errors: report.errors.map((e) => shorten(e, max)),
      });
      if (fits(text)) return text;
      if (max <= 16) break;
      max = Math.floor(max * 0.7);
    }
  }
  const counts: Record<string, number> = {};
  for (const r of report.results) counts[r.verificationStatus] = (counts[r.verificationStatus] ?? 0) + 1;
  return JSON.stringify({ ...(report.kernel !== undefined && { kernel: report.kernel }), truncated: true, counts, errors: report.errors.length });
}
