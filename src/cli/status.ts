import { isDns1123Label, isDns1123Subdomain } from "../admission/dns-name.js";
import { PREFLIGHT_KIND, VERIFICATION_STAGES, VERIFICATION_STATUSES, type VerificationStage, type VerificationStatus } from "../api/index.js";
import type { PreflightReader } from "../kube/preflight-read.js";
import { isObject } from "../util/is-object.js";
import { escapeForTerminal, jsonForTerminal } from "../util/terminal-text.js";
import { parseFlags } from "./parse-flags.js";

// `kmm-preflight status`: where each Module stands in the cluster's PreflightValidationOCPs, and why.
// Everything here is pure but runStatus, which reads through an injected reader; main.ts opens the
// reader (and loads the Kubernetes client) only for this command. Objects from the cluster are
// untrusted: a malformed entry is shown as such, and every string is escaped before it is printed.

export interface ModuleKey {
  readonly namespace: string;
  readonly name: string;
}

export interface StatusOptions {
  /** One PreflightValidationOCP; all of them when absent. */
  readonly name?: string;
  /** Only this Module's entries. */
  readonly module?: ModuleKey;
  readonly kubeconfig?: string;
  readonly output: "table" | "json";
}

export const STATUS_USAGE = `Usage: kmm-preflight status [NAME] [--module <namespace>/<name>] [flags]

Where each Module stands in the PreflightValidationOCPs of the cluster (every one, or NAME), and why.

  NAME                          only this PreflightValidationOCP (kubectl get pfvo lists them)
  --module <namespace>/<name>   only this Module's entries
  --kubeconfig <file>           the cluster to read; without it $KUBECONFIG, the in-cluster service account, then ~/.kube/config
  --output, -o table|json       (default table)

Exit code: 0 every Module listed is verified, 1 some Module failed, errored, is pending or is missing,
2 the status could not be read (no cluster, API error, NAME not found).`;

export type ParsedStatus = { ok: true; options: StatusOptions } | { ok: false; errors: string[] };

const quote = (s: string) => `"${escapeForTerminal(s)}"`;

export function parseStatusArgs(argv: readonly string[]): ParsedStatus {
  const flags = parseFlags(argv, { module: { type: "string" }, kubeconfig: { type: "string" }, output: { type: "string", short: "o", default: "table" } }, true);
  if (!flags.ok) return { ok: false, errors: [flags.error] };
  const v = flags.values;
  const errors: string[] = [];
  const [name, ...extra] = flags.positionals;
  if (extra.length) errors.push(`status takes at most one NAME, not ${flags.positionals.length}: ${flags.positionals.map(quote).join(" ")}`);
  if (name !== undefined) {
    const msgs = isDns1123Subdomain(name);
    if (msgs.length) errors.push(`NAME ${quote(name)} cannot name a ${PREFLIGHT_KIND}: ${msgs.join("; ")}`);
  }
  const moduleArg = v["module"] as string | undefined;
  const module = moduleArg === undefined ? undefined : parseModuleKey(moduleArg);
  if (Array.isArray(module)) errors.push(...module);
  const output = v["output"] as string;
  if (output !== "table" && output !== "json") errors.push(`--output must be table or json, not ${quote(output)}`);
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    options: {
      ...(name !== undefined && { name }),
      ...(module && !Array.isArray(module) && { module }),
      ...(v["kubeconfig"] !== undefined && { kubeconfig: v["kubeconfig"] as string }),
      output: output as "table" | "json",
    },
  };
}

/** `namespace/name`: a DNS label and a DNS subdomain, as the API server requires of a Module. */
function parseModuleKey(value: string): ModuleKey | string[] {
  const flag = `--module ${quote(value)}`;
  const parts = value.split("/");
  if (parts.length !== 2) return [`${flag}: give the Module as <namespace>/<name>, e.g. --module drivers/my-driver`];
  const [namespace, name] = parts as [string, string];
  const errors = [
    ...isDns1123Label(namespace).map((m) => `${flag}: namespace ${quote(namespace)}: ${m}`),
    ...isDns1123Subdomain(name).map((m) => `${flag}: name ${quote(name)}: ${m}`),
  ];
  return errors.length ? errors : { namespace, name };
}

// ---------------------------------------------------------------------------------------------
// What the objects say

/** One `status.modules[]` entry, checked: a malformed one has status unknown and says so in its reason. */
export interface ModuleRow {
  readonly namespace: string;
  readonly name: string;
  readonly verificationStatus: VerificationStatus;
  /** null when the entry names no valid stage. */
  readonly verificationStage: VerificationStage | null;
  /** null when the entry holds no valid time. */
  readonly lastTransitionTime: string | null;
  readonly statusReason: string;
}

export interface StatusCounts {
  /** verificationStatus true */
  readonly verified: number;
  /** verificationStatus false */
  readonly failed: number;
  readonly error: number;
  /** verificationStatus unknown (not validated yet, or a malformed entry) */
  readonly pending: number;
}

export interface PreflightStatus {
  readonly name: string;
  readonly releaseImage: string;
  /** Of `modules`, the entries listed. */
  readonly counts: StatusCounts;
  /** Sorted by namespace, then name. */
  readonly modules: readonly ModuleRow[];
  /** Why no entry can be listed: nothing validated yet, or a malformed `status.modules`. */
  readonly note?: string;
  /** With `--module`: this object's status has no entry for it. */
  readonly moduleMissing: boolean;
}

export interface StatusReport {
  /** Sorted by name. */
  readonly preflights: readonly PreflightStatus[];
  readonly module?: ModuleKey;
}

export const NOT_VALIDATED_YET = "no Module has been validated yet";

const describeValue = (v: unknown): string => {
  if (v === undefined) return "missing";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
};

/** Checks one entry; never throws. `path` names it in the reason of a malformed entry. */
export function toModuleRow(entry: unknown, path: string): ModuleRow {
  if (!isObject(entry)) {
    return { namespace: "", name: "", verificationStatus: "unknown", verificationStage: null, lastTransitionTime: null, statusReason: `malformed status entry ${path}: ${describeValue(entry)} is not an object` };
  }
  const problems: string[] = [];
  const text = (field: string, required: boolean): string => {
    const v = entry[field];
    if (typeof v === "string" && (v !== "" || !required)) return v;
    if (v !== undefined || required) problems.push(`${field} ${describeValue(v)} is not a ${required ? "non-empty " : ""}string`);
    return "";
  };
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T | null => {
    const v = entry[field];
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    problems.push(`${field} ${describeValue(v)} is not one of ${allowed.join(", ")}`);
    return null;
  };
  const namespace = text("namespace", true);
  const name = text("name", true);
  const status = oneOf("verificationStatus", VERIFICATION_STATUSES);
  const stage = oneOf("verificationStage", VERIFICATION_STAGES);
  const rawTime = text("lastTransitionTime", true);
  const time = rawTime !== "" && !Number.isNaN(Date.parse(rawTime)) ? rawTime : null;
  if (rawTime !== "" && time === null) problems.push(`lastTransitionTime ${describeValue(rawTime)} is not a time`);
  const reason = text("statusReason", false);
  if (!problems.length) return { namespace, name, verificationStatus: status!, verificationStage: stage, lastTransitionTime: time, statusReason: reason };
  return {
    namespace,
    name,
    verificationStatus: "unknown",
    verificationStage: stage,
    lastTransitionTime: time,
    statusReason: `malformed status entry ${path}: ${problems.join("; ")}${reason ? `; its reason: ${reason}` : ""}`,
  };
}

const compareKeys = (a: ModuleKey, b: ModuleKey) =>
  a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function countRows(rows: readonly ModuleRow[]): StatusCounts {
  const n = (s: VerificationStatus) => rows.filter((r) => r.verificationStatus === s).length;
  return { verified: n("true"), failed: n("false"), error: n("error"), pending: n("unknown") };
}

/** One object as the API server returned it, its entries restricted to `module` when given. */
export function toPreflightStatus(obj: unknown, module?: ModuleKey): PreflightStatus {
  const o = isObject(obj) ? obj : {};
  const metadata = isObject(o["metadata"]) ? o["metadata"] : {};
  const spec = isObject(o["spec"]) ? o["spec"] : {};
  const name = typeof metadata["name"] === "string" ? metadata["name"] : "";
  const releaseImage = typeof spec["releaseImage"] === "string" ? spec["releaseImage"] : "";
  const entries = isObject(o["status"]) ? o["status"]["modules"] : undefined;

  let note: string | undefined;
  let rows: ModuleRow[] = [];
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) note = NOT_VALIDATED_YET;
  else if (!Array.isArray(entries)) note = `status.modules is malformed: ${describeValue(entries)} is not a list`;
  else rows = entries.map((e, i) => toModuleRow(e, `status.modules[${i}]`));
  if (module) rows = rows.filter((r) => r.namespace === module.namespace && r.name === module.name);
  rows.sort(compareKeys);
  return { name, releaseImage, counts: countRows(rows), modules: rows, ...(note !== undefined && { note }), moduleMissing: !!module && note === undefined && rows.length === 0 };
}

export function toStatusReport(objects: readonly unknown[], module?: ModuleKey): StatusReport {
  const preflights = objects.map((o) => toPreflightStatus(o, module)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { preflights, ...(module && { module }) };
}

/** 0: at least one Module listed and every one verified; 1: anything else (failed, error, pending, missing, nothing yet). */
export function statusExitCode(r: StatusReport): 0 | 1 {
  const rows = r.preflights.flatMap((p) => p.modules);
  const incomplete = r.preflights.some((p) => p.note !== undefined || p.moduleMissing);
  return rows.length > 0 && !incomplete && rows.every((m) => m.verificationStatus === "true") ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** How long ago, as kubectl prints ages (apimachinery's duration.HumanDuration): 45s, 7m30s, 3h12m, 5d4h. */
export function formatAge(since: string | null, now: Date): string {
  const t = since === null ? NaN : Date.parse(since);
  if (Number.isNaN(t)) return "<unknown>";
  const seconds = Math.floor((now.getTime() - t) / 1000);
  // Up to a second in the future is clock skew between us and the writer; more is a wrong time.
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

export function renderStatusTable(r: StatusReport, now: Date): string {
  const blocks = r.preflights.map((p) => {
    const title = `${PREFLIGHT_KIND} ${escapeForTerminal(p.name || "?")} (release ${escapeForTerminal(p.releaseImage || "?")})`;
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
  return `${[...blocks, ...(notes.length ? [notes] : [])].map((b) => b.join("\n")).join("\n\n")}\n`;
}

/** A stable document for pipelines: objects by name, modules by namespace/name, every key always present. */
export function renderStatusJson(r: StatusReport): string {
  const doc = r.preflights.map((p) => ({
    name: p.name,
    releaseImage: p.releaseImage,
    counts: { verified: p.counts.verified, failed: p.counts.failed, error: p.counts.error, pending: p.counts.pending },
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

// ---------------------------------------------------------------------------------------------
// The command

export interface StatusOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: 0 | 1 | 2;
}

export const NO_CLUSTER_MESSAGE =
  "no cluster configured: kmm-preflight status reads the cluster kubectl would (--kubeconfig <file>, $KUBECONFIG, " +
  "the in-cluster service account, or ~/.kube/config); give one of them";

/** Reads through `reader` (undefined: no cluster configured) and renders; API failures become exit code 2, never a throw. */
export async function runStatus(o: StatusOptions, reader: PreflightReader | undefined, now: Date): Promise<StatusOutcome> {
  const fail = (message: string): StatusOutcome => ({ stdout: "", stderr: `error: ${message}\n`, exitCode: 2 });
  if (!reader) return fail(NO_CLUSTER_MESSAGE);
  let objects: unknown[];
  try {
    if (o.name === undefined) objects = await reader.list();
    else {
      const obj = await reader.get(o.name);
      if (obj === undefined) return fail(`${PREFLIGHT_KIND} "${o.name}" not found on ${reader.server}; \`kubectl get pfvo\` lists them`);
      objects = [obj];
    }
  } catch (err) {
    return fail(escapeForTerminal(err instanceof Error ? err.message : String(err)));
  }
  const report = toStatusReport(objects, o.module);
  const exitCode = statusExitCode(report);
  if (o.output === "json") {
    const notes = statusNotes(report);
    return { stdout: renderStatusJson(report), stderr: notes.map((n) => `note: ${n}\n`).join(""), exitCode };
  }
  return { stdout: renderStatusTable(report, now), stderr: "", exitCode };
}
