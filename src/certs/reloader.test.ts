import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import type { TLSSocket } from "node:tls";
import { createLogger } from "../log/logger.js";
import { CertificateError, type LoadedCertificates } from "./cert-files.js";
import { generateCertificates, type GeneratedCertificates } from "./generate.js";
import * as sut from "./reloader.js";

const OPTS = { serviceName: "kmm-preflight", namespace: "kmm-preflight" } as const;
const SERVER_NAME = "kmm-preflight.kmm-preflight.svc";
const WAIT_MS = 5_000;

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kmm-preflight-reloader-"));
  tempDirs.push(dir);
  return dir;
}
after(() => Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }))));

/** Things that happened, and a way to wait for one without fixed sleeps. */
class Events<T> {
  readonly items: T[] = [];
  #waiters: Array<{ pred: (x: T) => boolean; resolve: (x: T) => void }> = [];

  push(x: T): void {
    this.items.push(x);
    this.#waiters = this.#waiters.filter((w) => (w.pred(x) ? (w.resolve(x), false) : true));
  }

  /** Resolves with the first item, past or future, that matches. */
  next(what: string, pred: (x: T) => boolean = () => true): Promise<T> {
    const seen = this.items.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)), WAIT_MS);
      this.#waiters.push({ pred, resolve: (x) => (clearTimeout(timer), resolve(x)) });
    });
  }
}

type LogLine = Record<string, unknown>;
function captureLog() {
  const stream = new PassThrough();
  const lines = new Events<LogLine>();
  stream.on("data", (b: Buffer) => {
    for (const l of b.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
  });
  return { log: createLogger({ level: "debug", stream }), lines };
}

/** A reloader over `dir` that records every reload; stopped after the test file. */
function reloaderFor(dir: string, opts: Partial<sut.CertificateReloaderOptions> = {}) {
  const { log, lines } = captureLog();
  const reloads = new Events<LoadedCertificates>();
  const reloader = new sut.CertificateReloader({ dir, log, pollIntervalMs: 50, watch: false, onReload: (c) => reloads.push(c), ...opts });
  reloaders.push(reloader);
  return { reloader, reloads, lines };
}
const reloaders: sut.CertificateReloader[] = [];
after(() => reloaders.forEach((r) => r.stop()));

async function writeAtomic(file: string, content: string): Promise<void> {
  await writeFile(`${file}.tmp`, content);
  await rename(`${file}.tmp`, file);
}

async function writePair(dir: string, g: GeneratedCertificates): Promise<void> {
  await writeAtomic(path.join(dir, "ca.crt"), g.caCertPem);
  await writeAtomic(path.join(dir, "tls.key"), g.tlsKeyPem);
  await writeAtomic(path.join(dir, "tls.crt"), g.tlsCertPem);
}

const fingerprint = (g: GeneratedCertificates) => new X509Certificate(g.tlsCertPem).fingerprint256;

// Certificates are generated once: two serving pairs from one CA, and a pair from another CA.
let first: GeneratedCertificates;
let second: GeneratedCertificates;
let otherCa: GeneratedCertificates;
before(() => {
  first = generateCertificates(OPTS);
  second = generateCertificates({ ...OPTS, ca: { certPem: first.caCertPem, keyPem: first.caKeyPem } });
  otherCa = generateCertificates(OPTS);
});

describe("CertificateReloader", () => {
  describe("start()", () => {
    describe("given a valid pair", () => {
      it("returns it, exposes it as current and logs its fingerprint", async () => {
        const dir = await tempDir();
        await writePair(dir, first);
        const { reloader, reloads, lines } = reloaderFor(dir);
        const loaded = await reloader.start();
        assert.equal(loaded.fingerprint, fingerprint(first));
        assert.equal(reloader.current, loaded);
        assert.equal(reloads.items.length, 0, "the initial load is returned, not reported through onReload");
        const line = await lines.next("the load log line", (l) => l["msg"] === "loaded certificates");
        assert.equal(line["fingerprint"], fingerprint(first));
        reloader.stop();
      });
    });

    describe("given a key that does not match the certificate", () => {
      it("rejects with a Mismatch CertificateError", async () => {
        const dir = await tempDir();
        await writePair(dir, first);
        await writeAtomic(path.join(dir, "tls.key"), second.tlsKeyPem);
        const { reloader } = reloaderFor(dir);
        await assert.rejects(reloader.start(), (err) => err instanceof CertificateError && err.kind === "Mismatch");
        assert.throws(() => reloader.current, /before start\(\)/);
      });
    });

    describe("given a directory without certificates", () => {
      it("rejects with a NotFound CertificateError", async () => {
        const { reloader } = reloaderFor(await tempDir());
        await assert.rejects(reloader.start(), (err) => err instanceof CertificateError && err.kind === "NotFound");
      });
    });
  });

  describe("check()", () => {
    describe("given files rewritten with the same content", () => {
      it("resolves false and does not call onReload", async () => {
        const dir = await tempDir();
        await writePair(dir, first);
        const { reloader, reloads } = reloaderFor(dir, { pollIntervalMs: 60_000 });
        await reloader.start();
        await writePair(dir, first);
        assert.equal(await reloader.check(), false);
        assert.equal(reloads.items.length, 0);
        reloader.stop();
      });
    });

    describe("given a new pair", () => {
      it("resolves true and makes it current", async () => {
        const dir = await tempDir();
        await writePair(dir, first);
        const { reloader, reloads } = reloaderFor(dir, { pollIntervalMs: 60_000 });
        await reloader.start();
        await writePair(dir, second);
        assert.equal(await reloader.check(), true);
        assert.equal(reloader.current.fingerprint, fingerprint(second));
        assert.deepEqual(reloads.items.map((c) => c.fingerprint), [fingerprint(second)]);
        reloader.stop();
      });
    });

    describe("given onReload throws", () => {
      it("keeps the old pair current and logs an error", async () => {
        const dir = await tempDir();
        await writePair(dir, first);
        const { reloader, lines } = reloaderFor(dir, {
          pollIntervalMs: 60_000,
          onReload: () => {
            throw new Error("bad context");
          },
        });
        await reloader.start();
        await writePair(dir, second);
        assert.equal(await reloader.check(), false);
        assert.equal(reloader.current.fingerprint, fingerprint(first));
        const line = await lines.next("the error line", (l) => l["level"] === "error");
        assert.equal(line["error"], "bad context");
        assert.equal(line["rejectedFingerprint"], fingerprint(second));
        reloader.stop();
      });
    });

    describe("after stop()", () => {
      it("applies nothing", async () => {
        const dir = await tempDir();
        await writePair(dir, first);
        const { reloader, reloads } = reloaderFor(dir);
        await reloader.start();
        reloader.stop();
        await writePair(dir, second);
        assert.equal(await reloader.check(), false);
        assert.equal(reloads.items.length, 0);
        assert.equal(reloader.current.fingerprint, fingerprint(first));
      });
    });
  });

  describe("given a pair rotated in place", () => {
    it("polls and calls onReload with the new certificate", async () => {
      const dir = await tempDir();
      await writePair(dir, first);
      const { reloader, reloads } = reloaderFor(dir, { watch: false, pollIntervalMs: 50 });
      await reloader.start();
      await writePair(dir, second);
      const reloaded = await reloads.next("a reload", (c) => c.fingerprint === fingerprint(second));
      assert.equal(reloaded.key, second.tlsKeyPem);
      assert.equal(reloader.current.fingerprint, fingerprint(second));
      reloader.stop();
    });
  });

  describe("given fs.watch and a poll interval too long to matter", () => {
    it("notices the rotation through the directory watch", async () => {
      const dir = await tempDir();
      await writePair(dir, first);
      const { reloader, reloads } = reloaderFor(dir, { watch: true, pollIntervalMs: 60_000, debounceMs: 20 });
      await reloader.start();
      await writePair(dir, second);
      await reloads.next("a reload triggered by fs.watch", (c) => c.fingerprint === fingerprint(second));
      reloader.stop();
    });
  });

  describe("given a Secret volume update (the ..data symlink swapped, as the kubelet does)", () => {
    it("reloads from the new ..data target", async () => {
      const dir = await tempDir();
      const writeVersion = async (name: string, g: GeneratedCertificates) => {
        await mkdir(path.join(dir, name));
        await writeFile(path.join(dir, name, "tls.crt"), g.tlsCertPem);
        await writeFile(path.join(dir, name, "tls.key"), g.tlsKeyPem);
        await writeFile(path.join(dir, name, "ca.crt"), g.caCertPem);
        await symlink(name, path.join(dir, "..data_tmp"));
        await rename(path.join(dir, "..data_tmp"), path.join(dir, "..data"));
      };
      await writeVersion("..2026_01_15_12_00_00.1", first);
      for (const f of ["tls.crt", "tls.key", "ca.crt"]) await symlink(path.join("..data", f), path.join(dir, f));

      const { reloader, reloads } = reloaderFor(dir, { watch: true, pollIntervalMs: 60_000, debounceMs: 20 });
      await reloader.start();
      await writeVersion("..2026_01_15_13_00_00.2", second);
      await reloads.next("a reload after the ..data swap", (c) => c.fingerprint === fingerprint(second));
      reloader.stop();
    });
  });

  describe("given a half-written rotation (new certificate, old key)", () => {
    it("keeps serving the old pair, warns once, then picks up the completed pair", async () => {
      const dir = await tempDir();
      await writePair(dir, first);
      const { reloader, reloads, lines } = reloaderFor(dir, { watch: false, pollIntervalMs: 50 });
      await reloader.start();

      await writeAtomic(path.join(dir, "tls.crt"), second.tlsCertPem);
      const warning = await lines.next("the half-rotation warning", (l) => l["level"] === "warn");
      assert.equal(warning["kind"], "Mismatch");
      assert.deepEqual(warning["files"], [path.join(dir, "tls.crt"), path.join(dir, "tls.key")]);
      assert.equal(warning["fingerprint"], fingerprint(first), "the warning names the pair still served");
      assert.equal(reloader.current.fingerprint, fingerprint(first));
      assert.equal(reloads.items.length, 0);
      await reloader.check(); // at least one more look at the same broken content
      assert.equal(lines.items.filter((l) => l["level"] === "warn").length, 1, "the same broken content is reported once");

      await writeAtomic(path.join(dir, "tls.key"), second.tlsKeyPem);
      await reloads.next("the completed pair", (c) => c.fingerprint === fingerprint(second));
      assert.equal(reloader.current.fingerprint, fingerprint(second));
      reloader.stop();
    });
  });
});

describe("CertificateReloader with an HTTPS server", () => {
  describe("given the certificate files are replaced by a pair from a new CA", () => {
    it("serves the new certificate on new connections without a restart", async () => {
      const dir = await tempDir();
      await writePair(dir, first);
      let server: https.Server | undefined;
      const { reloader, reloads } = reloaderFor(dir, {
        watch: true,
        pollIntervalMs: 50,
        onReload: (c) => {
          server!.setSecureContext({ cert: c.cert, key: c.key, minVersion: "TLSv1.2" });
          reloads.push(c);
        },
      });
      const initial = await reloader.start();
      server = https.createServer({ cert: initial.cert, key: initial.key, minVersion: "TLSv1.2" }, (_req, res) => res.end("ok"));
      try {
        await new Promise<void>((resolve, reject) => server!.once("error", reject).listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as AddressInfo;

        const before = await get(port, first.caCertPem);
        assert.deepEqual(before, { body: "ok", fingerprint: fingerprint(first) });

        await writePair(dir, otherCa);
        await reloads.next("the reload", (c) => c.fingerprint === fingerprint(otherCa));

        const after = await get(port, otherCa.caCertPem);
        assert.deepEqual(after, { body: "ok", fingerprint: fingerprint(otherCa) });
        await assert.rejects(get(port, first.caCertPem), /certificate/i, "clients trusting only the old CA now fail");
      } finally {
        reloader.stop();
        server.closeAllConnections();
        await new Promise((resolve) => server!.close(resolve));
      }
    });
  });
});

/** One request on a fresh connection that trusts only `ca` and checks the in-cluster name. */
function get(port: number, ca: string): Promise<{ body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: "/", ca, servername: SERVER_NAME, agent: false }, (res) => {
      const fp = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ body, fingerprint: fp }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
