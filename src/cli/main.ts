#!/usr/bin/env node
import { readFile } from "node:fs/promises";
import type { ParseArgsConfig } from "node:util";
import { ensureCertificates } from "../certs/cert-files.js";
import { createLogger } from "../log/logger.js";
import { parseServeConfig, serveUsage } from "../server/config.js";
import { CHECK_USAGE, checkExitCode, parseCheckArgs, runCheck, writeCheckOutputs } from "./check.js";
import { injectCaBundle } from "./inject-ca.js";
import { SIGN_USAGE, parseSignArgs, runSign, signExitCode, writeSignOutputs } from "./sign.js";
import { parseFlags } from "./parse-flags.js";
import { STATUS_USAGE, parseStatusArgs } from "./status-args.js";
import { runStatus } from "./status.js";
import { renderResults, validateDocuments } from "./validate.js";

const USAGE = `Usage: kmm-preflight <command> [flags]

Commands:
  serve                         run the admission webhook server (HTTPS); see: kmm-preflight serve --help
  validate -f <file>|-          default and validate PreflightValidationOCP and Module YAML offline, as the webhooks would
  check --module <file> (--release-image <ref> [--rt] | --kernel <version>)
                                the image stage for Modules: does the image for that kernel hold the module?
                                see: kmm-preflight check --help
  sign --module <file> --kernel <version> --key <file> --cert <file> [--push]
                                the sign stage: sign the Module's filesToSign into a signed image
                                see: kmm-preflight sign --help
  status [NAME] [--module <namespace>/<name>] [-o table|json]
                                where each Module stands in the cluster's PreflightValidationOCPs, and why
                                see: kmm-preflight status --help
  certs [--dir certs]           generate a development CA and serving certificate (ca.crt, tls.crt, tls.key)
        [--service-name N] [--namespace NS]
  inject-ca --ca <ca.crt> [-f <file>|-]
                                set caBundle on the webhook configurations of a YAML stream
                                (kubectl kustomize manifests/ | kmm-preflight inject-ca --ca certs/ca.crt | kubectl apply -f -)
`;

/** Exit codes: 0 success, 1 something was denied or failed, 2 the command could not do its work (usage, I/O, the cluster). */
class UsageError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const readInput = (path: string): Promise<string> => (path === "-" ? readStdin() : readFile(path, "utf8"));

function args(argv: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  const flags = parseFlags(argv, options);
  if (!flags.ok) throw new UsageError(flags.error);
  return flags.values;
}

/** A command's options from its own parser, or undefined when --help asked for its usage (printed here). */
function commandOptions<T>(argv: string[], command: string, usage: string, parse: (argv: string[]) => { ok: true; options: T } | { ok: false; errors: string[] }): T | undefined {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  const parsed = parse(argv);
  if (!parsed.ok) throw new UsageError(`${parsed.errors.join("\n")}\n(kmm-preflight ${command} --help lists the flags)`);
  return parsed.options;
}

async function validate(argv: string[]): Promise<number> {
  const v = args(argv, { filename: { type: "string", short: "f", multiple: true } });
  const files = (v.filename as string[] | undefined) ?? [];
  if (files.length === 0) throw new UsageError("validate needs -f <file> (or -f - for standard input)");
  const results = [];
  for (const f of files) results.push(...validateDocuments(await readInput(f), f === "-" ? "<stdin>" : f));
  const r = renderResults(results);
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}

async function certs(argv: string[]): Promise<number> {
  const v = args(argv, { dir: { type: "string", default: "certs" }, "service-name": { type: "string", default: "kmm-preflight" }, namespace: { type: "string", default: "kmm-preflight" } });
  const r = await ensureCertificates(String(v.dir), { serviceName: String(v["service-name"]), namespace: String(v.namespace) });
  process.stdout.write(`${r.generated ? "generated" : "kept"} certificates in ${String(v.dir)}${r.reason ? `: ${r.reason}` : ""}\n`);
  return 0;
}

async function injectCa(argv: string[]): Promise<number> {
  const v = args(argv, { ca: { type: "string" }, filename: { type: "string", short: "f", default: "-" } });
  if (!v.ca) throw new UsageError("inject-ca needs --ca <file holding the CA certificate>");
  const r = injectCaBundle(await readInput(String(v.filename)), await readFile(String(v.ca), "utf8"));
  if (r.injected === 0) process.stderr.write("warning: the input holds no webhook configuration; nothing was injected\n");
  process.stdout.write(r.yaml);
  return 0;
}

async function check(argv: string[]): Promise<number> {
  const options = commandOptions(argv, "check", CHECK_USAGE, parseCheckArgs);
  if (!options) return 0;
  const log = createLogger({ level: "warn", stream: process.stderr });
  const report = await runCheck(options, { readInput, log });
  await writeCheckOutputs(options, report, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  return checkExitCode(report);
}

async function sign(argv: string[]): Promise<number> {
  const options = commandOptions(argv, "sign", SIGN_USAGE, parseSignArgs);
  if (!options) return 0;
  const log = createLogger({ level: "warn", stream: process.stderr });
  const report = await runSign(options, { readInput, log });
  await writeSignOutputs(options, report, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
  return signExitCode(report);
}

async function status(argv: string[]): Promise<number> {
  const options = commandOptions(argv, "status", STATUS_USAGE, parseStatusArgs);
  if (!options) return 0;
  // Loaded here, as for serve: the offline commands must not pay for @kubernetes/client-node.
  const { openPreflightReader } = await import("../kube/preflight-read.js");
  const r = await runStatus(options, openPreflightReader({ kubeconfig: options.kubeconfig }), new Date());
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  return r.exitCode;
}

async function serve(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${serveUsage()}\n`);
    return 0;
  }
  const parsed = parseServeConfig(argv, process.env);
  if (!parsed.ok) throw new UsageError(parsed.errors.join("\n"));
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

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { serve, validate, check, sign, status, certs, "inject-ca": injectCa };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`unknown command "${command}"`);
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(`\n${USAGE}`);
    process.exit(2);
  },
);
