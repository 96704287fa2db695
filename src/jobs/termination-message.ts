import type { Module, VerificationStatus } from "../api/index.js";
import { isObject } from "../util/is-object.js";

// The image-stage Job's report to the runner (ADR 12): `kmm-preflight check` writes it to the
// container's terminationMessagePath; the kubelet copies it into the Pod's
// status.containerStatuses[].state.terminated.message, where the runner reads it (no logs, no API
// access from the Job). Encoder and decoder live together so that they never drift.

/** The kubelet keeps at most 4096 bytes of a container's termination message. */
export const TERMINATION_MESSAGE_MAX_BYTES = 4096;

/** Bumped when a reader of the old format would misread the new one. */
export const TERMINATION_MESSAGE_VERSION = 1;

/** One Module's verdict, as the image stage reports it. */
export interface CheckResult {
  readonly namespace: string;
  readonly name: string;
  readonly kernel?: string;
  /** "true": verified; "false": failed (the build stage may help); "error": could not check (retry later). */
  readonly verificationStatus: Exclude<VerificationStatus, "unknown">;
  readonly reason: string;
  /** Index into spec.moduleLoader.container.kernelMappings, when one matched. */
  readonly mappingIndex?: number;
  readonly image?: string;
  readonly digest?: string;
  /** Where the module was found, as modprobe would see it (`/opt/lib/modules/<k>/extra/x.ko`). */
  readonly path?: string;
  /** A Module with no moduleLoader has nothing to validate; it counts as verified. */
  readonly skipped?: true;
}

/** Whose verdict a result is: the Module's namespace and name (as strings, whatever a file held) and the kernel. */
export function resultIdentity(module: Module, kernel: string): { readonly namespace: string; readonly name: string; readonly kernel: string } {
  return { namespace: String(module.metadata?.namespace ?? ""), name: String(module.metadata?.name ?? ""), kernel };
}

export interface StageReport {
  readonly kernel?: string;
  readonly results: readonly CheckResult[];
  /** What kept Modules from being checked at all (e.g. the release image has no kernel). */
  readonly errors: readonly string[];
}

const shorten = (s: string, max: number) => (s.length > max ? `${s.slice(0, Math.max(max - 1, 0))}…` : s);

/** Each step gives up detail a reader can get elsewhere (the Job's log), keeping verdicts to the last. */
const SHRINK_STEPS: ((r: CheckResult) => Partial<CheckResult>)[] = [
  (r) => r,
  ({ namespace, name, kernel, verificationStatus, reason, mappingIndex, skipped }) => ({ namespace, name, kernel, verificationStatus, reason, mappingIndex, skipped }),
  ({ namespace, name, verificationStatus, reason, skipped }) => ({ namespace, name, verificationStatus, reason, skipped }),
];

/**
 * The results as compact JSON that fits a termination message. Reasons are shortened first, then
 * optional fields dropped; if even bare verdicts do not fit, the message carries counts and
 * `"truncated": true`.
 */
export function terminationMessage(report: StageReport, maxBytes = TERMINATION_MESSAGE_MAX_BYTES): string {
  const fits = (text: string) => Buffer.byteLength(text) <= maxBytes;
  const head = { version: TERMINATION_MESSAGE_VERSION, ...(report.kernel !== undefined && { kernel: report.kernel }) };
  for (const step of SHRINK_STEPS) {
    let max = Math.max(...report.results.map((r) => r.reason.length), ...report.errors.map((e) => e.length), 0);
    for (;;) {
      const text = JSON.stringify({
        ...head,
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
  return JSON.stringify({ ...head, truncated: true, counts, errors: report.errors.length });
}

export type DecodedMessage =
  | { readonly ok: true; readonly kernel?: string; readonly results: readonly CheckResult[]; readonly errors: readonly string[]; readonly truncated: boolean }
  | { readonly ok: false; readonly error: string };

const STATUSES = new Set(["true", "false", "error"]);

function decodeResult(v: unknown): CheckResult | undefined {
  if (!isObject(v)) return undefined;
  const { namespace, name, verificationStatus, reason } = v;
  if (typeof namespace !== "string" || typeof name !== "string" || typeof reason !== "string" || typeof verificationStatus !== "string" || !STATUSES.has(verificationStatus)) return undefined;
  return v as unknown as CheckResult;
}

/** Reads a termination message; anything that is not a report of a version this reader knows is an error. */
export function decodeTerminationMessage(text: string | undefined): DecodedMessage {
  if (!text || text.trim() === "") return { ok: false, error: "the container wrote no termination message" };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: `the termination message is not JSON: ${shorten(text.trim(), 200)}` };
  }
  if (!isObject(v)) return { ok: false, error: "the termination message is not a JSON object" };
  // Messages without a version were written by the first release, whose format is version 1's.
  const version = v["version"] ?? 1;
  if (version !== TERMINATION_MESSAGE_VERSION) return { ok: false, error: `termination message version ${JSON.stringify(version)} is not one this runner reads (${TERMINATION_MESSAGE_VERSION}); are the Job image and the server the same version?` };
  const kernel = typeof v["kernel"] === "string" ? v["kernel"] : undefined;
  if (v["truncated"] === true) return { ok: true, ...(kernel !== undefined && { kernel }), results: [], errors: [], truncated: true };
  const results = Array.isArray(v["results"]) ? v["results"].map(decodeResult) : undefined;
  if (!results || results.some((r) => r === undefined)) return { ok: false, error: "the termination message holds malformed results" };
  const errors = Array.isArray(v["errors"]) ? v["errors"].filter((e): e is string => typeof e === "string") : [];
  return { ok: true, ...(kernel !== undefined && { kernel }), results: results as CheckResult[], errors, truncated: false };
}
