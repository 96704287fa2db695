import { isDns1123Label, isDns1123Subdomain } from "../validation/dns-name.js";
import { PREFLIGHT_KIND } from "../api/index.js";
import type { ModuleKey } from "../status/status-report.js";
import { escapeForTerminal } from "../util/terminal-text.js";
import { parseFlags } from "./parse-flags.js";

// `kmm-preflight status` flags: what to show, checked before anything is read from the cluster.

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

