import { PREFLIGHT_KIND } from "../api/index.js";
import type { PreflightReader } from "../kube/preflight-read.js";
import { statusExitCode, toStatusReport } from "../status/status-report.js";
import { escapeForTerminal } from "../util/terminal-text.js";
import type { StatusOptions } from "./status-args.js";
import { type JobSummary, summarizeJobs } from "./status-jobs.js";
import { renderStatusJson, renderStatusTable, statusNotes } from "./status-render.js";

// `kmm-preflight status`: where each Module stands in the cluster's PreflightValidationOCPs, and why.
// Reads through an injected reader; main.ts opens it (and loads the Kubernetes client) only for this
// command.


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
  // With --module, the Module's Jobs too; not being able to list them does not hide the status.
  let jobs: readonly JobSummary[] | undefined;
  let jobsProblem = "";
  if (o.module) {
    try {
      const found = await reader.validationJobs(o.module.namespace, o.module.name);
      jobs = summarizeJobs(found.jobs, found.pods, o.module, now);
    } catch (err) {
      jobsProblem = `note: ${escapeForTerminal(err instanceof Error ? err.message : String(err))}\n`;
    }
  }
  if (o.output === "json") {
    const notes = statusNotes(report);
    return { stdout: renderStatusJson(report, jobs), stderr: notes.map((n) => `note: ${n}\n`).join("") + jobsProblem, exitCode };
  }
  return { stdout: renderStatusTable(report, now, jobs), stderr: jobsProblem, exitCode };
}
