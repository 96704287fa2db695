// Checks a signed kernel module with tools no one here wrote: modinfo (kmod, built with libcrypto)
// and `openssl cms -verify`. The PKCS#7 message is cut out of the trailer here, independently of
// src/sign (the last 40 bytes are struct module_signature and the magic; sig_len is big-endian).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const MAGIC = "~Module signature appended~\n";

export const MODINFO = ["/usr/sbin/modinfo", "/sbin/modinfo", "/usr/bin/modinfo"].find((p) => existsSync(p)) ?? "modinfo";

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: { cwd?: string; input?: Buffer } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, [...args], { cwd: opts.cwd, encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr }),
    );
    if (opts.input) child.stdin?.end(opts.input);
  });
}

/** The module without its signature, and the PKCS#7 (DER) message, read from the trailer. */
export function splitSignedModule(signed: Buffer): { unsigned: Buffer; pkcs7: Buffer } {
  if (signed.subarray(-MAGIC.length).toString("latin1") !== MAGIC) throw new Error("no module signature magic at the end");
  const infoAt = signed.length - MAGIC.length - 12;
  const sigLen = signed.readUInt32BE(infoAt + 8);
  return { unsigned: signed.subarray(0, infoAt - sigLen), pkcs7: signed.subarray(infoAt - sigLen, infoAt) };
}

/** A temp dir for files the tools read; removed by `done()`. */
export async function scratch(): Promise<{ dir: string; file: (name: string, data: string | Buffer) => Promise<string>; done: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-sign-"));
  return {
    dir,
    file: async (name, data) => {
      const p = path.join(dir, name);
      await writeFile(p, data);
      return p;
    },
    done: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `modinfo -F <field>` of a module file, trimmed. */
export async function modinfoField(file: string, field: string): Promise<string> {
  const r = await run(MODINFO, ["-F", field, file]);
  if (r.code !== 0) throw new Error(`modinfo ${file}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * `openssl cms -verify` of the detached signature in `signed` over `content` (default: the unsigned
 * part of `signed`), finding the signer in `certPem` (no chain check). Exit code 0 means verified.
 */
export async function opensslVerify(signed: Buffer, certPem: string | Buffer, opts: { content?: Buffer } = {}): Promise<Run> {
  const s = await scratch();
  try {
    const { unsigned, pkcs7 } = splitSignedModule(signed);
    const sig = await s.file("module.p7s", pkcs7);
    const content = await s.file("module.unsigned", opts.content ?? unsigned);
    const cert = await s.file("cert.pem", certPem);
    return await run("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content, "-certfile", cert, "-noverify", "-out", "/dev/null"]);
  } finally {
    await s.done();
  }
}
