import { writeFile } from "node:fs/promises";
import { MODULE_KIND } from "../api/index.js";
import { type CheckResult, resultIdentity, terminationMessage } from "../jobs/termination-message.js";
import { kernelVariables } from "../kernel/kernel-version.js";
import type { Logger } from "../log/logger.js";
import { type SignStageResult, signModuleImage } from "../sign-stage/sign-stage.js";
import { DEFAULT_MODULE_HASH, MODULE_HASHES, loadSigningKey, type ModuleHash, type SigningKeyResult } from "../sign/index.js";
import { parseDuration } from "../util/duration.js";
import { readModuleDocuments } from "./module-documents.js";
import { parseFlags } from "./parse-flags.js";
import { readFileBounded } from "./read-input.js";
import { REGISTRY_FLAGS, REGISTRY_FLAGS_USAGE, type RegistryFlags, registryClientFor, registryFlags } from "./registry-flags.js";

// `kmm-preflight sign`: the sign stage for one Module and one kernel, without a cluster. It is also
// what the in-cluster sign-stage Job runs (with --termination-message-path), as the image-stage Job
// runs `check`. The private key is read into memory only, and the buffer is wiped once parsed.

export interface SignOptions extends RegistryFlags {
  readonly module: string;
  readonly kernel: string;
  readonly key: string;
  readonly cert: string;
  readonly unsignedImage?: string;
  readonly outputImage?: string;
  readonly push: boolean;
  readonly hash: ModuleHash;
  readonly namespace: string;
  readonly output: "text" | "json";
  readonly terminationMessagePath?: string;
  /** Milliseconds the registry work may take before the run reports `error`. */
  readonly timeoutMs?: number;
}

export const SIGN_USAGE = `Usage: kmm-preflight sign --module <module.yaml>|- --kernel <version> --key <file> --cert <file> [flags]

Signs the Module's filesToSign for that kernel, read from the unsigned image, as the kernel's
sign-file does (a detached PKCS#7 signature and the module-signature trailer); the signed image is
the unsigned one plus one layer holding the signed files.

  --module, -m <file>|-         the Module (YAML or JSON, one Module; other kinds are ignored)
  --kernel <version>            the upgraded kernel
  --key <file>                  the private key (PEM: PKCS#1, PKCS#8 or SEC1), the Module's keySecret
  --cert <file>                 the X.509 certificate (PEM or DER), the Module's certSecret
  --unsigned-image <ref>        the image to sign (default: the Module's sign.unsignedImage for the kernel)
  --output-image <ref>          the signed image (default: the Module's containerImage for the kernel)
  --push                        push the signed image to the output image (without it: everything but the push)
  --pull-secret <file>          credentials for reading the unsigned image and pushing the signed one
                                (a .dockerconfigjson or docker config.json: the Module's imageRepoSecret)
${REGISTRY_FLAGS_USAGE}
  --hash sha256|sha384|sha512   the signature's digest (default sha256)
  --namespace <ns>              namespace of a Module that names none (default "default")
  --output, -o text|json        (default text)
  --termination-message-path <file>  also write the result as JSON that fits a termination message
  --timeout <duration>          give up on the registry after this long, e.g. 10m (default: no limit)

Exit code: 0 signed (and pushed with --push), 1 the Module cannot be signed as it stands, 2 an error kept
the stage from finishing (no access, registry down, bad usage).`;

export type ParsedSign = { ok: true; options: SignOptions } | { ok: false; errors: string[] };

export function parseSignArgs(argv: readonly string[]): ParsedSign {
  const flags = parseFlags(argv, {
    module: { type: "string", short: "m" },
    kernel: { type: "string" },
    key: { type: "string" },
    cert: { type: "string" },
    "unsigned-image": { type: "string" },
    "output-image": { type: "string" },
    push: { type: "boolean", default: false },
    ...REGISTRY_FLAGS,
    hash: { type: "string", default: DEFAULT_MODULE_HASH },
    namespace: { type: "string", default: "default" },
    output: { type: "string", short: "o", default: "text" },
    "termination-message-path": { type: "string" },
    timeout: { type: "string" },
  });
  if (!flags.ok) return { ok: false, errors: [flags.error] };
  const v = flags.values;
  const errors: string[] = [];
  const str = (name: string) => v[name] as string | undefined;
  for (const name of ["module", "kernel", "key", "cert"]) if (!str(name)) errors.push(`--${name} is required`);
  const hash = str("hash")!;
  if (!(MODULE_HASHES as readonly string[]).includes(hash)) errors.push(`--hash must be one of ${MODULE_HASHES.join(", ")}, not ${JSON.stringify(hash)}`);
  const output = str("output")!;
  if (output !== "text" && output !== "json") errors.push(`--output must be text or json, not ${JSON.stringify(output)}`);
  const timeout = str("timeout");
  const timeoutMs = timeout === undefined ? undefined : parseDuration(timeout);
  if (timeout !== undefined && timeoutMs === undefined) errors.push(`--timeout must be a duration such as 90s, 10m or 1h30m, not ${JSON.stringify(timeout)}`);
  const registry = registryFlags(v, errors);
  if (errors.length) return { ok: false, errors };
  const optional = (name: string, key: keyof SignOptions) => (str(name) !== undefined ? { [key]: str(name) } : {});
  return {
    ok: true,
    options: {
      module: str("module")!,
      kernel: str("kernel")!,
      key: str("key")!,
      cert: str("cert")!,
      ...optional("unsigned-image", "unsignedImage"),
      ...optional("output-image", "outputImage"),
      ...optional("termination-message-path", "terminationMessagePath"),
      push: v["push"] === true,
      hash: hash as ModuleHash,
      namespace: str("namespace")!,
      output: output as "text" | "json",
      ...registry,
      ...(timeoutMs !== undefined && { timeoutMs }),
    },
  };
}

export interface SignReport {
  readonly kernel: string;
  readonly results: readonly SignStageResult[];
  /** What kept the stage from running at all (an unreadable Module file, no Module, a bad kernel). */
  readonly errors: readonly string[];
  readonly notes: readonly string[];
}

export const signExitCode = (r: SignReport): 0 | 1 | 2 =>
  r.errors.length || r.results.some((x) => x.verificationStatus === "error") ? 2 : r.results.some((x) => x.verificationStatus === "false") ? 1 : 0;

/** A PEM or DER key or certificate is a few KiB: a larger file is the wrong one (or a device), not read whole. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
const tooLarge = (flag: string, path: string) => `--${flag} ${path}: larger than ${MAX_KEY_FILE_BYTES / 1024 / 1024} MiB, which no key or certificate is`;

/** The key and certificate, parsed; the key's bytes are wiped as soon as the KeyObject holds it. */
async function readSigningKey(o: SignOptions): Promise<SigningKeyResult | { readonly unreadable: string }> {
  let key: Buffer;
  let cert: Buffer;
  try {
    key = await readFileBounded(o.key, MAX_KEY_FILE_BYTES);
  } catch (err) {
    return { unreadable: `--key: ${(err as Error).message}` };
  }
  if (key.length > MAX_KEY_FILE_BYTES) {
    key.fill(0);
    return { unreadable: tooLarge("key", o.key) };
  }
  try {
    cert = await readFileBounded(o.cert, MAX_KEY_FILE_BYTES);
    if (cert.length > MAX_KEY_FILE_BYTES) return { unreadable: tooLarge("cert", o.cert) };
    return loadSigningKey(key, cert);
  } catch (err) {
    return { unreadable: `--cert: ${(err as Error).message}` };
  } finally {
    key.fill(0);
  }
}

/** Runs the sign stage for the one Module in `o.module`; never throws for the Module's problem. */
export async function runSign(o: SignOptions, io: { readInput: (path: string) => Promise<string | Uint8Array>; log?: Logger }): Promise<SignReport> {
  const docs = await readModuleDocuments([o.module], o.namespace, io.readInput);
  const report = (results: SignStageResult[], errors: readonly string[] = []): SignReport => ({ kernel: o.kernel, results, errors: [...docs.errors, ...errors], notes: docs.notes });
  if (docs.errors.length) return report([]);
  if (docs.modules.length !== 1) {
    return report([], [`${o.module} holds ${docs.modules.length} ${MODULE_KIND}s; sign takes exactly one (its key and certificate are that Module's)`]);
  }
  const kv = kernelVariables(o.kernel);
  if (!kv.ok) return report([], [`--kernel: ${kv.error}`]);
  const module = docs.modules[0]!;

  const signingKey = await readSigningKey(o);
  if ("unreadable" in signingKey) return report([{ ...resultIdentity(module, o.kernel), verificationStatus: "error", reason: signingKey.unreadable }]);

  const client = await registryClientFor(o, io.log);
  const timer = new AbortController();
  const timeout = o.timeoutMs === undefined ? undefined : setTimeout(() => timer.abort(new Error("timed out")), o.timeoutMs);
  try {
    const result = await signModuleImage(
      module,
      {
        kernel: o.kernel,
        signingKey,
        hash: o.hash,
        push: o.push,
        ...(o.unsignedImage !== undefined && { unsignedImage: o.unsignedImage }),
        ...(o.outputImage !== undefined && { outputImage: o.outputImage }),
      },
      { registry: client, signal: timer.signal },
    );
    return report([result]);
  } catch (err) {
    if (!timer.signal.aborted) throw err;
    return report([{ ...resultIdentity(module, o.kernel), verificationStatus: "error", reason: `the sign stage did not finish within --timeout (${o.timeoutMs! / 1000}s); the registry may be slow or unreachable` }]);
  } finally {
    clearTimeout(timeout);
    await client.close();
  }
}

export function renderSignText(r: SignReport): string {
  const lines = [`kernel: ${r.kernel}`];
  for (const x of r.results) {
    lines.push("", `Module ${x.namespace}/${x.name}`);
    if (x.mappingIndex !== undefined) lines.push(`  mapping:  spec.moduleLoader.container.kernelMappings[${x.mappingIndex}]`);
    if (x.unsignedImage) lines.push(`  unsigned: ${x.unsignedImage}`);
    if (x.image) lines.push(`  image:    ${x.image}${x.digest ? ` (${x.digest})` : ""}`);
    lines.push(`  verdict:  ${x.skipped ? "skipped" : x.verificationStatus} (sign stage)`, `  reason:   ${x.reason}`);
  }
  for (const e of r.errors) lines.push("", `error: ${e}`);
  return `${lines.join("\n")}\n`;
}

/** A result as the termination message carries it: CheckResult's fields only, as the image stage's. */
function checkResultOf(r: SignStageResult): CheckResult {
  const { unsignedImage: _input, signedFiles: _files, pushed: _pushed, ...check } = r;
  return check;
}

export async function writeSignOutputs(o: SignOptions, r: SignReport, out: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<void> {
  for (const n of r.notes) out.stderr(`note: ${n}\n`);
  if (o.output === "json") out.stdout(`${JSON.stringify({ kernel: r.kernel, results: r.results, errors: r.errors }, null, 2)}\n`);
  else out.stdout(renderSignText(r));
  if (o.terminationMessagePath) await writeFile(o.terminationMessagePath, terminationMessage({ kernel: r.kernel, results: r.results.map(checkResultOf), errors: r.errors }));
}
