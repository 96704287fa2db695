import { VERIFICATION_STAGES, VERIFICATION_STATUSES, type VerificationStage, type VerificationStatus } from "../api/index.js";
import { isObject } from "../util/is-object.js";

// What PreflightValidationOCP objects from the cluster say, checked: they are untrusted, so a malformed
// entry becomes a row that says so, never a throw. Pure: the `status` command and the
// kmm_preflight_modules metric classify entries with the same code, so they never disagree.

/** A Module, as `--module <namespace>/<name>` names it and a `status.modules[]` entry identifies it. */
export interface ModuleKey {
  readonly namespace: string;
  readonly name: string;
}

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
  /** `spec.useRTKernel`: two objects may name the same release, one for each kernel flavour. */
  readonly useRTKernel: boolean;
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

export const compareKeys = (a: ModuleKey, b: ModuleKey) =>
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
  const useRTKernel = spec["useRTKernel"] === true;
  const entries = isObject(o["status"]) ? o["status"]["modules"] : undefined;

  let note: string | undefined;
  let rows: ModuleRow[] = [];
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) note = NOT_VALIDATED_YET;
  else if (!Array.isArray(entries)) note = `status.modules is malformed: ${describeValue(entries)} is not a list`;
  else rows = entries.map((e, i) => toModuleRow(e, `status.modules[${i}]`));
  if (module) rows = rows.filter((r) => r.namespace === module.namespace && r.name === module.name);
  rows.sort(compareKeys);
  return { name, releaseImage, useRTKernel, counts: countRows(rows), modules: rows, ...(note !== undefined && { note }), moduleMissing: !!module && note === undefined && rows.length === 0 };
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

