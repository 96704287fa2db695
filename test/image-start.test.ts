// `docker run <image>` with no mounts must start. No image can be built here (the base images are not
// reachable), so this checks what the Dockerfile promises about the runtime filesystem, and runs the
// server as the image does: as its non-root uid, in a working directory owned by root.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { statSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseServeConfig } from "../src/server/config.js";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const dockerfile = await readFile(path.join(REPO, "Dockerfile"), "utf8");
const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
const uid = Number(/^USER\s+(\d+)/m.exec(runtime)?.[1]);
const workdir = /^WORKDIR\s+(\S+)/m.exec(runtime)?.[1] ?? "/";
const defaults = parseServeConfig([], {});
const certDir = defaults.ok ? defaults.config.certDir : "";
/** Whether another user can reach `file`: every directory above it searchable, the file readable (and executable) by others. */
function reachableByOthers(file: string, executable = false): boolean {
  try {
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === path.dirname(dir)) break;
    }
    const need = executable ? 0o005 : 0o004;
    return (statSync(file).mode & need) === need;
  } catch {
    return false;
  }
}
const runAsImageUser =
  process.getuid?.() !== 0
    ? "needs root to run as another uid"
    : !reachableByOthers(process.execPath, true) || !reachableByOthers(path.join(REPO, "src/cli/main.ts"))
      ? `the image's uid cannot reach ${process.execPath} or this checkout`
      : false;

/** Runs `serve` as the image's user in `cwd`, until it serves or exits; then stops it. */
async function serveAs(cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", path.join(REPO, "node_modules/tsx/dist/loader.mjs"), path.join(REPO, "src/cli/main.ts"), "serve", "--port", "0", "--metrics-port", "0", "--no-cluster"], {
    cwd,
    uid,
    gid: uid,
    env: { PATH: process.env["PATH"] ?? "", HOME: cwd },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c));
  const exited = once(child, "exit") as Promise<[number | null]>;
  await new Promise<void>((resolve) => {
    child.stdout!.on("data", (c: Buffer) => {
      stdout += c;
      if (stdout.includes('"msg":"serving admission webhooks over HTTPS"')) resolve();
    });
    void exited.then(() => resolve());
  });
  if (child.exitCode === null) child.kill("SIGTERM");
  const [code] = await exited;
  return { code, stdout, stderr };
}

describe("the image started with no mounts", () => {
  it("runs as a non-root user and makes the default cert dir, owned by that user, in its working directory", () => {
    assert.ok(uid > 0, "USER is a numeric non-root uid");
    assert.equal(certDir, "certs");
    const made = new RegExp(`^COPY\\s+--from=\\S+\\s+--chown=${uid}:${uid}\\s+\\S+\\s+\\./${certDir}\\s*$`, "m");
    assert.match(runtime, made, `the runtime stage creates ${workdir}/${certDir} owned by ${uid}`);
  });

  it("starts as that user with only the cert dir writable, generating a development certificate", { skip: runAsImageUser }, async () => {
    const app = await mkdtemp(path.join(tmpdir(), "kmm-preflight-image-"));
    try {
      await chmod(app, 0o755);
      await mkdir(path.join(app, certDir));
      await chown(path.join(app, certDir), uid, uid);
      const r = await serveAs(app);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /"msg":"wrote certificates"/);
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });

  it("without a writable cert dir, exits 2 saying what to mount or where to write", { skip: runAsImageUser }, async () => {
    const app = await mkdtemp(path.join(tmpdir(), "kmm-preflight-image-"));
    try {
      await chmod(app, 0o755);
      const r = await serveAs(app);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: cannot write certificates to certs \(EACCES\): mount a kubernetes\.io\/tls Secret with tls\.crt and tls\.key there, or use a writable directory/m);
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });
});
