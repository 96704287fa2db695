// A real OCI registry for tests: Debian's docker-registry (distribution 2.8) as a child process on
// 127.0.0.1, storage in a temp dir, optionally with TLS, htpasswd (Basic) or token (Bearer) auth.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import type { TLSOptions } from "../../src/api/module.js";
import { generateCertificates } from "../../src/certs/generate.js";
import { startTokenServer, type RunningTokenServer, type TokenUser } from "./registry-token-server.js";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";
export const HTPASSWD_BINARY = "/usr/bin/htpasswd";

export type RegistryUser = TokenUser;

export interface StartRegistryOptions {
  /** @default "none" */
  readonly auth?: "none" | "htpasswd" | "token";
  /** Serve HTTPS with a certificate from a fresh CA (returned as `ca`). @default false */
  readonly tls?: boolean;
  /**
   * More users besides the generated admin (`username`/`password`, allowed everything). Their pull/push
   * patterns apply to token auth only; htpasswd has no authorization, every user may do everything.
   */
  readonly users?: readonly RegistryUser[];
  /** Token auth: repositories anyone may pull. @default [] */
  readonly anonymousPull?: readonly string[];
  /** Token auth: token lifetime in seconds. @default 300 */
  readonly tokenExpiresInSeconds?: number;
  /** Token auth: the field that carries the token. @default "both" */
  readonly tokenField?: "token" | "access_token" | "both";
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`: the registry part of image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` or `https://…` */
  readonly url: string;
  /** The registryTLS a client needs: `{ insecure: true }` for plain HTTP, `{}` for TLS (then trust `ca`). */
  readonly tls: TLSOptions;
  /** PEM of the CA that signed the registry's certificate (TLS only). */
  readonly ca?: string;
  /** The admin user, allowed everything (auth only). */
  readonly username?: string;
  readonly password?: string;
  readonly tokenServer?: RunningTokenServer;
  /** The filesystem storage root. */
  readonly storageDir: string;
  /** Where the registry keeps a blob's bytes (edit it to corrupt the blob). */
  blobPath(digest: string): string;
  /** Kills the registry and the token server and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
/** Last resort if a test process dies without running after(): never leave a registry behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", resolve);
  });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function htpasswdLine(username: string, password: string): Promise<string> {
  const { stdout } = await promisify(execFile)(HTPASSWD_BINARY, ["-Bbn", username, password]);
  return stdout.trim();
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<RunningRegistry> {
  installExitHook();
  const auth = opts.auth ?? "none";
  const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-registry-"));
  const storageDir = path.join(dir, "storage");
  let tokenServer: RunningTokenServer | undefined;
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child) await killChild(child);
    await tokenServer?.close();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const admin = auth === "none" ? undefined : { username: "admin", password: randomBytes(12).toString("hex") };
    const users: RegistryUser[] = [...(admin ? [admin] : []), ...(opts.users ?? [])];

    const config: Record<string, unknown> = {
      version: "0.1",
      log: { level: "warn", accesslog: { disabled: true }, formatter: "text" },
      storage: { filesystem: { rootdirectory: storageDir }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
      http: { secret: randomBytes(16).toString("hex") },
    };
    let ca: string | undefined;
    if (opts.tls) {
      const certs = generateCertificates({ serviceName: "registry", namespace: "test" });
      ca = certs.caCertPem;
      await writeFile(path.join(dir, "tls.crt"), certs.tlsCertPem);
      await writeFile(path.join(dir, "tls.key"), certs.tlsKeyPem, { mode: 0o600 });
      (config["http"] as Record<string, unknown>)["tls"] = { certificate: path.join(dir, "tls.crt"), key: path.join(dir, "tls.key") };
    }
    if (auth === "htpasswd") {
      const lines = await Promise.all(users.map((u) => htpasswdLine(u.username, u.password)));
      await writeFile(path.join(dir, "htpasswd"), `${lines.join("\n")}\n`, { mode: 0o600 });
      config["auth"] = { htpasswd: { realm: "kmm-preflight-test", path: path.join(dir, "htpasswd") } };
    } else if (auth === "token") {
      tokenServer = await startTokenServer({
        service: "kmm-preflight-test-registry",
        users,
        ...(opts.anonymousPull && { anonymousPull: opts.anonymousPull }),
        ...(opts.tokenExpiresInSeconds !== undefined && { expiresInSeconds: opts.tokenExpiresInSeconds }),
        ...(opts.tokenField && { tokenField: opts.tokenField }),
      });
      await writeFile(path.join(dir, "token-root.crt"), tokenServer.rootCertPem);
      config["auth"] = {
        token: { realm: tokenServer.realm, service: tokenServer.service, issuer: tokenServer.issuer, rootcertbundle: path.join(dir, "token-root.crt") },
      };
    }

    // The port is picked free and then handed to the registry: another process may take it in between,
    // so a failure to bind is retried on a new port.
    let lastOutput = "";
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      (config["http"] as Record<string, unknown>)["addr"] = `127.0.0.1:${port}`;
      const configPath = path.join(dir, "config.yml");
      await writeFile(configPath, stringify(config), { mode: 0o600 });
      const output: string[] = [];
      // A clean environment: distribution reads REGISTRY_* variables as configuration overrides.
      child = spawn(REGISTRY_BINARY, ["serve", configPath], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } });
      running.add(child);
      const keep = (b: Buffer) => {
        output.push(b.toString());
        if (output.length > 50) output.shift();
      };
      child.stdout!.on("data", keep);
      child.stderr!.on("data", keep);
      const url = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
      const ready = await waitReady(child, url, ca);
      if (ready) {
        const host = `127.0.0.1:${port}`;
        const stop = async () => {
          const c = child;
          child = undefined;
          if (c) await killChild(c);
          const t = tokenServer;
          tokenServer = undefined;
          await t?.close();
          await rm(dir, { recursive: true, force: true });
        };
        return {
          host,
          url,
          tls: opts.tls ? {} : { insecure: true },
          ...(ca !== undefined && { ca }),
          ...(admin && { username: admin.username, password: admin.password }),
          ...(tokenServer && { tokenServer }),
          storageDir,
          blobPath: (digest: string) => {
            const [alg, hex] = digest.split(":") as [string, string];
            return path.join(storageDir, "docker", "registry", "v2", "blobs", alg, hex.slice(0, 2), hex, "data");
          },
          stop,
        };
      }
      lastOutput = output.join("");
      await killChild(child);
      child = undefined;
      if (!/address already in use/i.test(lastOutput)) break;
    }
    throw new Error(`docker-registry did not start:\n${lastOutput.slice(-4000)}`);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Polls GET /v2/ until it answers 200 or 401 (true), or the process exits or 15 s pass (false). */
async function waitReady(child: ChildProcess, url: string, ca: string | undefined): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  let exited = child.exitCode !== null;
  child.once("exit", () => (exited = true));
  while (!exited && Date.now() < deadline) {
    const status = await new Promise<number>((resolve) => {
      const mod = url.startsWith("https:") ? https : http;
      const req = mod.get(`${url}/v2/`, { ...(ca && { ca }), agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(0));
    });
    if (status === 200 || status === 401) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

async function killChild(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

/** A kubernetes.io/dockerconfigjson document for the registry's admin, or for `user`. */
export function dockerConfigFor(reg: RunningRegistry, user?: { readonly username: string; readonly password: string }): string {
  const u = user ?? (reg.username !== undefined ? { username: reg.username, password: reg.password! } : undefined);
  if (!u) throw new Error("the registry has no users");
  return JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${u.username}:${u.password}`).toString("base64") } } });
}
