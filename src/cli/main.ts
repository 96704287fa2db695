#!/usr/bin/env node
import { readFile } from "node:fs/promises";
import type { ParseArgsConfig } from "node:util";
import { ensureCertificates } from "../certs/cert-files.js";
import { createLogger } from "../log/logger.js";
import { parseServeConfig, serveUsage } from "../server/config.js";
import { CHECK_USAGE, checkExitCode, parseCheckArgs, runCheck, writeCheckOutputs } from "./check.js";
import { injectCaBundle } from "./inject-ca.js";
import { MAX_INPUT_BYTES, MIB } from "../manifest-io/decode.js";
import { SIGN_USAGE, parseSignArgs, runSign, signExitCode, writeSignOutputs } from "./sign.js";
import { parseFlags } from "./parse-flags.js";
import { readFileBounded, readInputBounded } from "./read-input.js";
import { STATUS_USAGE, parseStatusArgs } from "./status-args.js";
import { runStatus } from "./status.js";
import { UsageError, wantsHelp } from "./usage-error.js";
import { VALIDATE_USAGE, renderResults, validateDocuments } from "./validate.js";

const USAGE = `Usage: kmm-preflight <command> [flags]

Commands:
  serve                         run the admission webhook server (HTTPS)
  validate -f <file>|-          default and validate PreflightValidationOCP and Module YAML offline, as the cluster would
  check --module <file> (--release-image <ref> [--rt] | --kernel <version>)
                                the image stage for Modules: does the image for that kernel hold the module?
  sign --module <file> --kernel <version> --key <file> --cert <file> [--push]
                                the sign stage: sign the Module's filesToSign into a signed image
  status [NAME] [--module <namespace>/<name>] [-o table|json]
                                where each Module stands in the cluster's PreflightValidationOCPs, and why
  certs [--dir certs]           generate a development CA and serving certificate (ca.crt, tls.crt, tls.key)
  inject-ca --ca <ca.crt> [-f <file>|-]
                                set caBundle on the webhook configurations of a YAML stream
  help [<command>]              this list, or the usage of one command

Every command answers --help (-h). kmm-preflight --version prints the version.
Exit codes: 0 success, 1 something was denied or failed, 2 the command could not do its work (usage, I/O, the cluster).
`;

const CERTS_USAGE = `Usage: kmm-preflight certs [--dir <dir>] [--service-name <name>] [--namespace <ns>]

Writes a development CA (ca.crt, ca.key) and a serving certificate (tls.crt, tls.key) for
<name>, <name>.<ns>, <name>.<ns>.svc, <name>.<ns>.svc.cluster.local, localhost, 127.0.0.1 and ::1.
With ca.crt and ca.key present and no serving pair, issues a new serving certificate from the same CA,
so the webhooks' caBundle stays valid. A complete set is kept as it is.

  --dir <dir>                   (default certs)
  --service-name <name>         (default kmm-preflight)
  --namespace <ns>              (default kmm-preflight)`;

const INJECT_CA_USAGE = `Usage: kmm-preflight inject-ca --ca <ca.crt> [-f <file>|-]

Sets caBundle on every webhook of the MutatingWebhookConfigurations and ValidatingWebhookConfigurations
of a YAML stream and prints the stream; other documents pass through unchanged.
  kubectl kustomize manifests/ | kmm-preflight inject-ca --ca certs/ca.crt | kubectl apply -f -

  --ca <file>                   the CA certificate (PEM) the API server must trust
  --filename, -f <file>|-       the YAML stream (default -, standard input)`;

function args(argv: string[], options: NonNullable<ParseArgsConfig["options"]>, usage: string) {
  const flags = parseFlags(argv, options);
  if (!flags.ok) throw new UsageError(flags.error, usage);
  return flags.values;
}

/** A command's options from its own parser; errors are usage errors of that command. */
function commandOptions<T>(argv: string[], usage: string, parse: (argv: string[]) => { ok: true; options: T } | { ok: false; errors: string[] }): T {
  const parsed = parse(argv);
  if (!parsed.ok) throw new UsageError(parsed.errors.join("\n"), usage);
  return parsed.options;
}

/** Modules for check and sign, bounded as validate's input: decodeObjects refuses one byte past the limit. */
const readModuleInput = (path: string) => readInputBounded(path, MAX_INPUT_BYTES);

async function validate(argv: string[]): Promise<number> {
  const v = args(argv, { filename: { type: "string", short: "f", multiple: true } }, VALIDATE_USAGE);
  const files = (v.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError("validate needs -f <file> (or -f - for standard input)", VALIDATE_USAGE);
  const results = [];
  for (const f of files) results.push(...validateDocuments(await readInputBounded(f, MAX_INPUT_BYTES), f === "-" ? "<stdin>" : f));
  const r = renderResults(results);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}

async function certs(argv: string[]): Promise<number> {
  const v = args(argv, { dir: { type: "string", default: "certs" }, "service-name": { type: "string", default: "kmm-preflight" }, namespace: { type: "string", default: "kmm-preflight" } }, CERTS_USAGE);
  const r = await ensureCertificates(String(v.dir), { serviceName: String(v["service-name"]), namespace: String(v.namespace) });
  process.stdout.write(`${r.generated ? "generated" : "kept"} certificates in ${String(v.dir)}${r.reason ? `: ${r.reason}` : ""}\n`);
  return 0;
}

/** A CA bundle is a few KiB; anything this large is the wrong file (or a device). */
const MAX_CA_BYTES = MIB;

async function injectCa(argv: string[]): Promise<number> {
  const v = args(argv, { ca: { type: "string" }, filename: { type: "string", short: "f", default: "-" } }, INJECT_CA_USAGE);
  if (!v.ca) throw new UsageError("inject-ca needs --ca <file holding the CA certificate>", INJECT_CA_USAGE);
  const input = await readInputBounded(String(v.filename), MAX_INPUT_BYTES);
  if (input.length > MAX_INPUT_BYTES) throw new Error(`-f ${String(v.filename)}: larger than ${MAX_INPUT_BYTES / MIB} MiB: refused unread`);
  const ca = await readFileBounded(String(v.ca), MAX_CA_BYTES);
  if (ca.length > MAX_CA_BYTES) throw new Error(`--ca ${String(v.ca)}: larger than ${MAX_CA_BYTES / MIB} MiB: not a CA certificate file`);
  const r = injectCaBundle(input.toString("utf8"), ca.toString("utf8"), `--ca ${String(v.ca)}`);
  if (r.injected === 0) process.stderr.write("warning: the input holds no webhook configuration; nothing was injected\n");
  process.stdout.write(r.yaml);
  return 0;
}

async function check(argv: string[]): Promise<number> {
  const options = commandOptions(argv, CHECK_USAGE, parseCheckArgs);
  // Without --verbose nothing but the results reaches stdout and stderr (retries are in the reasons).
  const log = options.verbose ? createLogger({ level: "info", stream: process.stderr }) : undefined;
  const report = await runCheck(options, { readInput: readModuleInput, ...(log && { log }) });
  await writeCheckOutputs(options, report, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  return checkExitCode(report);
}

async function sign(argv: string[]): Promise<number> {
  const options = commandOptions(argv, SIGN_USAGE, parseSignArgs);
  const log = createLogger({ level: "warn", stream: process.stderr });
  const report = await runSign(options, { readInput: readModuleInput, log });
  await writeSignOutputs(options, report, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  return signExitCode(report);
}

async function status(argv: string[]): Promise<number> {
  const options = commandOptions(argv, STATUS_USAGE, parseStatusArgs);
  // Loaded here, as for serve: the offline commands must not pay for @kubernetes/client-node.
  const { openPreflightReader } = await import("../kube/preflight-read.js");
  const r = await runStatus(options, openPreflightReader({ kubeconfig: options.kubeconfig }), new Date());
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}

async function serve(argv: string[]): Promise<number> {
  const parsed = parseServeConfig(argv, process.env);
  if (!parsed.ok) throw new UsageError(parsed.errors.join("\n"), serveUsage());
  const log = createLogger({ level: parsed.config.logLevel });
  // Handlers go in before anything starts: a SIGTERM during startup (a rollout) must drain, not kill.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => resolve(signal));
  });
  // Loaded here, not at the top: the server pulls in @kubernetes/client-node and express (~80 MB), which
  // the offline commands (and the image-stage Job running `check`) must not pay for.
  const { startServer } = await import("../server/serve.js");
  const server = await startServer(parsed.config, { log });
  await server.shutdown(await signalled);
  // Let the last log lines reach stdout before exiting.
  await new Promise<void>((resolve) => {
    log.on("finish", resolve);
    log.end();
  });
  return 0;
}

interface Command {
  readonly usage: () => string;
  readonly run: (argv: string[]) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { usage: serveUsage, run: serve },
  validate: { usage: () => VALIDATE_USAGE, run: validate },
  check: { usage: () => CHECK_USAGE, run: check },
  sign: { usage: () => SIGN_USAGE, run: sign },
  status: { usage: () => STATUS_USAGE, run: status },
  certs: { usage: () => CERTS_USAGE, run: certs },
  "inject-ca": { usage: () => INJECT_CA_USAGE, run: injectCa },
};

/** Only the table's own entries: `constructor` or `__proto__` is no command. */
const commandNamed = (name: string): Command | undefined => (Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined);

async function version(): Promise<string> {
  // package.json sits two levels above both src/cli/main.ts and dist/cli/main.js (and is in the image).
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return `kmm-preflight ${pkg.version} (node ${process.version})\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version") {
    process.stdout.write(await version());
    return 0;
  }
  if (name === undefined) throw new UsageError("no command given", USAGE);
  if (name === "help" || name === "--help" || name === "-h") {
    if (rest.length === 0) {
      process.stdout.write(USAGE);
      return 0;
    }
    const command = commandNamed(rest[0]!);
    if (!command || rest.length > 1) throw new UsageError(rest.length > 1 ? "help takes one command" : `unknown command "${rest[0]}"`, USAGE);
    process.stdout.write(`${command.usage()}\n`);
    return 0;
  }
  const command = commandNamed(name);
  if (!command) throw new UsageError(`unknown command "${name}"`, USAGE);
  if (wantsHelp(rest)) {
    process.stdout.write(`${command.usage()}\n`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(`\n${err.usage.trimEnd()}\n`);
    process.exit(2);
  },
);
