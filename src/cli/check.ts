import { writeFile } from "node:fs/promises";
import { MODULE_KIND, type Module } from "../api/index.js";
import { type ImageStageResult, checkModuleImage } from "../image-check/image-stage.js";
import { resultIdentity, terminationMessage } from "../jobs/termination-message.js";
import type { Logger } from "../log/logger.js";
import { type ReleaseKernel, ReleaseKernelResolver, describeKernelFailure } from "../release/release-kernel.js";
import { kernelVariables } from "../kernel/kernel-version.js";
import { parseDuration } from "../util/duration.js";
import { mapLimit } from "../util/map-limit.js";
import { readModuleDocuments } from "./module-documents.js";
import { parseFlags } from "./parse-flags.js";
import { REGISTRY_FLAGS, REGISTRY_FLAGS_USAGE, type RegistryFlags, registryClientFor, registryFlags } from "./registry-flags.js";

/** Modules checked at once: each streams layers from a registry. */
const MODULE_CONCURRENCY = 4;

// `kmm-preflight check`: the image stage for Modules in YAML files, without a cluster. It is also
// what the in-cluster image-stage Job runs (with --termination-message-path).

export interface CheckOptions extends RegistryFlags {
  readonly modules: readonly string[];
  readonly releaseImage?: string;
  readonly rt: boolean;
  readonly kernel?: string;
  readonly namespace: string;
  readonly output: "text" | "json";
  readonly terminationMessagePath?: string;
  /** The whole check, kernel lookup included; undefined: no limit beyond each registry request's own. */
  readonly timeoutMs?: number;
  /** Log lines (registry retries, requests) as JSON on stderr; without it stdout and stderr carry only the results. */
  readonly verbose: boolean;
}

export const CHECK_USAGE = `Usage: kmm-preflight check --module <module.yaml>|- (--release-image <ref> [--rt] | --kernel <version>) [flags]

  --module, -m <file>|-         Module YAML (several documents and files allowed); other kinds are ignored
  --release-image <ref>         OpenShift release image; its driver-toolkit says which kernel to check
  --rt                          use the release's real-time kernel
  --kernel <version>            check this kernel instead of reading a release image
  --pull-secret <file>          a kubernetes.io/dockerconfigjson (.dockerconfigjson) or docker config.json
${REGISTRY_FLAGS_USAGE}
  --namespace <ns>              namespace of Modules that name none (default "default")
  --output text|json            (default text)
  --termination-message-path <file>  also write the results as JSON that fits a termination message
  --timeout <duration>          give up after this long (e.g. 90s, 5m, 1m30s); Modules not checked by then
                                are errors (default: no limit beyond each registry request's 30 s)
  --verbose, -v                 log what happens (registry requests and retries) as JSON lines on stderr

Exit code: 0 every Module verified, 1 some failed, 2 an error kept a check from finishing.`;

export type ParsedCheck = { ok: true; options: CheckOptions } | { ok: false; errors: string[] };

export function parseCheckArgs(argv: readonly string[]): ParsedCheck {
  const flags = parseFlags(argv, {
    module: { type: "string", short: "m", multiple: true },
    "release-image": { type: "string" },
    rt: { type: "boolean", default: false },
    kernel: { type: "string" },
    ...REGISTRY_FLAGS,
    namespace: { type: "string", default: "default" },
    output: { type: "string", short: "o", default: "text" },
    "termination-message-path": { type: "string" },
    timeout: { type: "string" },
    verbose: { type: "boolean", short: "v", default: false },
  });
  if (!flags.ok) return { ok: false, errors: [flags.error] };
  const v = flags.values;
  const errors: string[] = [];
  const modules = (v["module"] as string[] | undefined) ?? [];
  if (modules.length === 0) errors.push("--module <file> is required (- reads standard input)");
  const releaseImage = v["release-image"] as string | undefined;
  const kernel = v["kernel"] as string | undefined;
  if (!!releaseImage === !!kernel) errors.push("give exactly one of --release-image <ref> or --kernel <version>");
  if (v["rt"] && !releaseImage) errors.push("--rt picks the real-time kernel of --release-image; with --kernel, name the RT kernel itself");
  const output = v["output"] as string;
  if (output !== "text" && output !== "json") errors.push(`--output must be text or json, not "${output}"`);
  const registry = registryFlags(v, errors);
  const timeoutMs = v["timeout"] === undefined ? undefined : parseTimeout(v["timeout"] as string);
  if (timeoutMs === null) errors.push(`--timeout: "${v["timeout"] as string}" is not a duration; write e.g. 90s, 5m or 1m30s`);
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    options: {
      modules,
      ...(releaseImage !== undefined && { releaseImage }),
      ...(kernel !== undefined && { kernel }),
      rt: v["rt"] === true,
      ...registry,
      namespace: v["namespace"] as string,
      output: output as "text" | "json",
      ...(v["termination-message-path"] !== undefined && { terminationMessagePath: v["termination-message-path"] as string }),
      ...(timeoutMs != null && { timeoutMs }),
      verbose: v["verbose"] === true,
    },
  };
}

/** --timeout in ms, or null: a duration as kubectl writes them (`90s`, `1m30s`, `500ms`) up to a day, or a bare number of seconds. */
export function parseTimeout(s: string): number | null {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) > 0 ? Number(s) * 1000 : null;
  const ms = parseDuration(s);
  return ms !== undefined && ms <= 24 * 3_600_000 ? ms : null;
}

/** Resolves with `late()` once the deadline has passed, or with `work` if that comes first. */
const beforeDeadline = <T>(work: Promise<T>, deadline: Promise<void> | undefined, late: () => T): Promise<T> =>
  deadline ? Promise.race([work, deadline.then(late)]) : work;

export interface CheckReport {
  readonly kernel?: ReleaseKernel | { readonly kernel: string };
  readonly results: readonly ImageStageResult[];
  /** Problems that kept Modules from being checked at all (unreadable YAML, a release image without a kernel). */
  readonly errors: readonly string[];
  readonly notes: readonly string[];
}

export const checkExitCode = (r: CheckReport): 0 | 1 | 2 =>
  r.errors.length || r.results.some((x) => x.verificationStatus === "error") ? 2 : r.results.some((x) => x.verificationStatus === "false") ? 1 : 0;

function describeKernel(k: CheckReport["kernel"]): string {
  if (!k) return "unknown";
  if (!("releaseImage" in k)) return `${k.kernel} (given)`;
  return `${k.kernel} (${k.rt ? "real-time kernel of " : ""}${k.releaseImage}, driver-toolkit ${k.driverToolkitImage})`;
}

export function renderCheckText(r: CheckReport): string {
  const lines = [`kernel: ${describeKernel(r.kernel)}`];
  for (const x of r.results) {
    lines.push("", `Module ${x.namespace}/${x.name}`);
    if (x.mappingIndex !== undefined) lines.push(`  mapping:  spec.moduleLoader.container.kernelMappings[${x.mappingIndex}]`);
    if (x.image) lines.push(`  image:    ${x.image}${x.digest ? ` (${x.digest})` : ""}`);
    lines.push(`  verdict:  ${x.skipped ? "skipped" : x.verificationStatus} (image stage)`, `  reason:   ${x.reason}`);
  }
  for (const e of r.errors) lines.push("", `error: ${e}`);
  return `${lines.join("\n")}\n`;
}

/** Runs the image stage for every Module in the given files; never throws for a Module's problem. */
export async function runCheck(o: CheckOptions, io: { readInput: (path: string) => Promise<string | Uint8Array>; log?: Logger }): Promise<CheckReport> {
  const docs = await readModuleDocuments(o.modules, o.namespace, io.readInput);
  const { modules, notes } = docs;
  const errors = [...docs.errors];
  if (modules.length === 0 && errors.length === 0) errors.push(`no ${MODULE_KIND} in ${o.modules.join(", ")}`);

  // Work still running at the deadline is abandoned (the CLI exits right after), its result replaced by an error.
  let timer: NodeJS.Timeout | undefined;
  const deadline = o.timeoutMs === undefined ? undefined : new Promise<void>((resolve) => (timer = setTimeout(resolve, o.timeoutMs)));
  const late = `not finished within --timeout ${o.timeoutMs === undefined ? "" : `${o.timeoutMs / 1000}s`}`;
  let expired = false;
  void deadline?.then(() => (expired = true));
  // One client for the run: the release lookup and every Module share its connections and token caches.
  const client = await registryClientFor(o, io.log);
  try {
    let kernel: CheckReport["kernel"] = o.kernel !== undefined ? { kernel: o.kernel } : undefined;
    if (o.releaseImage !== undefined) {
      try {
        kernel = await beforeDeadline(new ReleaseKernelResolver(client).resolve(o.releaseImage, o.rt), deadline, () => undefined);
        if (expired) errors.push(describeKernelFailure(o.releaseImage, o.rt, late));
      } catch (err) {
        errors.push(describeKernelFailure(o.releaseImage, o.rt, err instanceof Error ? err.message : String(err)));
      }
    }
    // A kernel string that cannot be one (too few fields) is the caller's mistake, not every Module's.
    const vars = kernel && kernelVariables(kernel.kernel);
    if (vars && !vars.ok) {
      errors.push(`${o.kernel !== undefined ? "--kernel" : o.releaseImage}: ${vars.error}`);
      kernel = undefined;
    }
    const k = kernel?.kernel;
    const unfinished = (m: Module): ImageStageResult => ({ ...resultIdentity(m, k!), verificationStatus: "error", reason: late });
    const results =
      k === undefined
        ? []
        : await mapLimit(modules, MODULE_CONCURRENCY, async (m) =>
            expired ? unfinished(m) : beforeDeadline(checkModuleImage(m, k, { registry: client }), deadline, () => unfinished(m)),
          );
    return { ...(kernel && { kernel }), results, errors, notes };
  } finally {
    clearTimeout(timer);
    // After the deadline, requests may still hang: closing would wait for them.
    if (!expired) await client.close();
  }
}

export async function writeCheckOutputs(o: CheckOptions, r: CheckReport, out: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<void> {
  for (const n of r.notes) out.stderr(`note: ${n}\n`);
  if (o.output === "json") out.stdout(`${JSON.stringify({ kernel: r.kernel, results: r.results, errors: r.errors }, null, 2)}\n`);
  else out.stdout(renderCheckText(r));
  if (o.terminationMessagePath) await writeFile(o.terminationMessagePath, terminationMessage({ kernel: r.kernel?.kernel, results: r.results, errors: r.errors }));
}
