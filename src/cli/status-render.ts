import { PREFLIGHT_KIND, type VerificationStatus } from "../api/index.js";
import { type ModuleKey, type ModuleRow, type StatusCounts, type StatusReport, compareKeys } from "../status/status-report.js";
import { escapeForTerminal, jsonForTerminal } from "../util/terminal-text.js";
import type { JobSummary } from "./status-jobs.js";

// The status report as a table for a person (problems first, every string escaped) or as JSON for a pipeline.


/** How long ago, as kubectl prints ages (apimachinery's duration.HumanDuration): 45s, 7m30s, 3h12m, 5d4h. */
export function formatAge(since: string | null, now: Date): string {
  const t = since === null ? NaN : Date.parse(since);
  if (Number.isNaN(t)) return "<unknown>";
  // Truncated toward zero, as Go's int(d.Seconds()): a time 1.5 s ahead is -1, not -2.
  const seconds = Math.trunc((now.getTime() - t) / 1000);
  // Less than two seconds in the future is clock skew between us and the writer; more is a wrong time.
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const both = (a: number, unitA: string, b: number, unitB: string) => (b === 0 ? `${a}${unitA}` : `${a}${unitA}${b}${unitB}`);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return both(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return both(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return both(days, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) return both(years, "y", days % 365, "d");
  return `${years}y`;
}

/** Problems first, the worst at the top: what a person acts on. */
const STATUS_RANK: Readonly<Record<VerificationStatus, number>> = { error: 0, false: 1, unknown: 2, true: 3 };

const byProblemFirst = (a: ModuleRow, b: ModuleRow) => STATUS_RANK[a.verificationStatus] - STATUS_RANK[b.verificationStatus] || compareKeys(a, b);

const moduleKey = (m: ModuleKey) => `${m.namespace || "?"}/${m.name || "?"}`;

function describeCounts(c: StatusCounts): string {
  return `${c.verified} verified, ${c.failed} failed, ${c.error} error, ${c.pending} pending`;
}

/** Lines that say why nothing (or not everything) could be listed; after the table, or on stderr with -o json. */
export function statusNotes(r: StatusReport): string[] {
  if (r.preflights.length === 0) return [`no ${PREFLIGHT_KIND} exists: create one naming the release you upgrade to (kmm-preflight validate checks it first)`];
  const m = r.module;
  if (m && r.preflights.every((p) => p.modules.length === 0)) {
    return [`Module ${moduleKey(m)} is in no ${PREFLIGHT_KIND}'s status yet; is it there? kubectl get module -n ${m.namespace} ${m.name}`];
  }
  return [];
}

/** Columns padded to their widest cell; the last one (the reason) is never cut. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join("").trimEnd());
}

/** The Module's validation Jobs: what `kubectl logs` and `kubectl describe` would be asked about. */
function jobsBlock(module: ModuleKey, jobs: readonly JobSummary[], now: Date): string[] {
  const title = `Validation Jobs of Module ${escapeForTerminal(moduleKey(module))}`;
  if (jobs.length === 0) return [`${title}: none (a Job is removed a day after it finished; a Module decided without one has none)`];
  const rows = jobs.map((j) => [
    escapeForTerminal(j.preflight || "?"),
    escapeForTerminal(j.name),
    escapeForTerminal(j.stage || "?"),
    formatAge(j.created, now),
    escapeForTerminal(j.podPhase ?? "-"),
    j.exitCode === null ? "-" : String(j.exitCode),
    escapeForTerminal(j.containerReason ?? "-"),
    escapeForTerminal(j.outcome),
  ]);
  return [`${title} (kubectl logs -n ${escapeForTerminal(module.namespace)} job/<JOB>):`, ...table([["PREFLIGHT", "JOB", "STAGE", "AGE", "POD", "EXIT", "CONTAINER", "OUTCOME"], ...rows])];
}

export function renderStatusTable(r: StatusReport, now: Date, jobs?: readonly JobSummary[]): string {
  const blocks = r.preflights.map((p) => {
    const title = `${PREFLIGHT_KIND} ${escapeForTerminal(p.name || "?")} (release ${escapeForTerminal(p.releaseImage || "?")}${p.useRTKernel ? ", real-time kernel" : ""})`;
    if (p.note !== undefined) return [`${title}: ${escapeForTerminal(p.note)}`];
    if (p.moduleMissing && r.module) return [`${title}: Module ${moduleKey(r.module)} is not in its status yet`];
    const rows = [...p.modules].sort(byProblemFirst).map((m) => [
      escapeForTerminal(moduleKey(m)),
      m.verificationStatus,
      m.verificationStage ?? "?",
      formatAge(m.lastTransitionTime, now),
      escapeForTerminal(m.statusReason),
    ]);
    return [`${title}: ${describeCounts(p.counts)}`, ...table([["NAMESPACE/NAME", "STATUS", "STAGE", "SINCE", "REASON"], ...rows])];
  });
  const notes = statusNotes(r);
  const jobBlock = r.module && jobs ? [jobsBlock(r.module, jobs, now)] : [];
  return `${[...blocks, ...jobBlock, ...(notes.length ? [notes] : [])].map((b) => b.join("\n")).join("\n\n")}\n`;
}

/**
 * A stable document for pipelines: objects by name, modules by namespace/name, every key always present.
 * `note` (null when the entries are listed) says why none is: not validated yet, or a malformed
 * status.modules; `moduleMissing` is true when --module names a Module this object's status lacks;
 * `jobs` lists that Module's validation Jobs for this object (null without --module).
 */
export function renderStatusJson(r: StatusReport, jobs?: readonly JobSummary[]): string {
  const doc = r.preflights.map((p) => ({
    name: p.name,
    releaseImage: p.releaseImage,
    useRTKernel: p.useRTKernel,
    note: p.note ?? null,
    moduleMissing: p.moduleMissing,
    counts: { verified: p.counts.verified, failed: p.counts.failed, error: p.counts.error, pending: p.counts.pending },
    // With --module, that Module's validation Jobs for this object (null when not asked for, or not listable).
    jobs: r.module && jobs ? jobs.filter((j) => j.preflight === p.name) : null,
    modules: p.modules.map((m) => ({
      namespace: m.namespace,
      name: m.name,
      verificationStatus: m.verificationStatus,
      verificationStage: m.verificationStage,
      lastTransitionTime: m.lastTransitionTime,
      statusReason: m.statusReason,
    })),
  }));
  return `${jsonForTerminal(doc)}\n`;
}

