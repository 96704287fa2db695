import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { MUTATE_PREFLIGHT_PATH, VALIDATE_PREFLIGHT_PATH } from "../src/api/index.js";
import { generateCertificates } from "../src/certs/generate.js";
import { parseServeConfig, type ServeConfig } from "../src/server/config.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { SERVICE_DNS_NAME, httpsRequest } from "./support/https-client.js";
import { preflight, reviewOf } from "./support/reviews.js";
import { captureLog } from "./support/captured-log.js";

function testConfig(certDir: string, over: Record<string, string> = {}): ServeConfig {
  const r = parseServeConfig([], { PORT: "0", METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: certDir, NO_CLUSTER: "true", ...over });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.config;
}

describe("admission server with the default listen address", () => {
  it("answers over IPv4 and IPv6 on the webhook and metrics ports (dual-stack ::)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-dual-stack-"));
    const defaults = parseServeConfig([], {});
    assert.ok(defaults.ok);
    const config = { ...testConfig(path.join(dir, "certs")), host: defaults.config.host };
    const { log, lines } = captureLog();
    const server = await startServer(config, { log });
    try {
      assert.equal(config.host, "::");
      assert.equal(lines.find((l) => l["msg"] === "serving admission webhooks over HTTPS")?.["host"], "::");
      const ca = await readFile(path.join(dir, "certs", "ca.crt"), "utf8");
      for (const host of ["127.0.0.1", "::1"]) {
        assert.equal((await httpsRequest(server.port, { host, ca, path: "/healthz" })).status, 200, `webhook port over ${host}`);
        const metrics = await new Promise<number>((resolve, reject) => http.get({ host, port: server.metricsPort, path: "/metrics" }, (res) => resolve(res.resume().statusCode ?? 0)).on("error", reject));
        assert.equal(metrics, 200, `metrics port over ${host}`);
      }
    } finally {
      await server.shutdown("test done");
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("admission server over real HTTPS", () => {
  let dir: string;
  let server: RunningServer;
  let ca: string;
  const { log, lines } = captureLog();

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-https-"));
    server = await startServer(testConfig(path.join(dir, "certs")), { log });
    ca = await readFile(path.join(dir, "certs", "ca.crt"), "utf8");
  });
  after(async () => {
    await server?.shutdown("test done");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("generated the CA, certificate and key into the cert dir with private files readable by the owner only", async () => {
    assert.equal((await stat(path.join(dir, "certs", "tls.key"))).mode & 0o777, 0o600);
    await stat(path.join(dir, "certs", "tls.crt"));
    assert.ok(lines.some((l) => l["msg"] === "wrote certificates" && l["component"] === "certs"));
  });

  it("says in the log that it runs admission only, with no cluster", () => {
    assert.ok(lines.some((l) => String(l["msg"]).startsWith("no cluster configured: serving admission only")));
  });

  it("answers the mutating webhook to a client that trusts only the generated CA and checks the Service DNS name", async () => {
    const review = reviewOf({ object: preflight("p1") });
    const res = await httpsRequest(server.port, { ca, path: MUTATE_PREFLIGHT_PATH, body: review });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body);
    assert.equal(body.response.uid, review.request!.uid);
    assert.equal(body.response.patchType, "JSONPatch");
  });

  it("answers the validating webhook with a denial a person can act on", async () => {
    const res = await httpsRequest(server.port, { ca, path: VALIDATE_PREFLIGHT_PATH, body: reviewOf({ object: preflight("p1", {}) }) });
    const body = JSON.parse(res.body);
    assert.equal(body.response.allowed, false);
    assert.match(body.response.status.message, /spec\.releaseImage: Required value/);
  });

  for (const name of ["kmm-preflight", "kmm-preflight.kmm-preflight", "kmm-preflight.kmm-preflight.svc.cluster.local", "localhost"]) {
    it(`presents a certificate valid for ${name}`, async () => {
      const res = await httpsRequest(server.port, { ca, path: "/healthz", servername: name });
      assert.equal(res.status, 200);
    });
  }

  it("is refused by a client that does not trust the generated CA", async () => {
    await assert.rejects(httpsRequest(server.port, { path: "/healthz" }), /self-signed|unable to verify|SELF_SIGNED/i);
  });

  it("is refused by a client expecting another host name", async () => {
    await assert.rejects(httpsRequest(server.port, { ca, path: "/healthz", servername: "evil.example.com" }), /altnames|ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it("refuses TLS 1.1", async () => {
    await assert.rejects(httpsRequest(server.port, { ca, path: "/healthz", maxVersion: "TLSv1.1" }));
  });

  it("counts admission requests by webhook, operation and decision, and exposes the certificate expiry, on a plain-HTTP metrics port", async () => {
    await httpsRequest(server.port, { ca, path: VALIDATE_PREFLIGHT_PATH, body: reviewOf({ object: preflight("m1", {}) }) });
    await httpsRequest(server.port, { ca, path: MUTATE_PREFLIGHT_PATH, body: reviewOf({ object: preflight("m2") }) });
    const res = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^kmm_preflight_admission_requests_total\{webhook="validate-preflightvalidationocp",operation="CREATE",decision="denied"\} [1-9]/m);
    assert.match(text, /^kmm_preflight_admission_requests_total\{webhook="mutate-preflightvalidationocp",operation="CREATE",decision="patched"\} [1-9]/m);
    assert.match(text, /^kmm_preflight_admission_duration_seconds_count\{webhook="validate-preflightvalidationocp"\} [1-9]/m);
    const expiry = Number(/^kmm_preflight_certificate_expiry_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    const notAfter = new X509Certificate(await readFile(path.join(dir, "certs", "tls.crt"))).validTo;
    assert.equal(expiry, Date.parse(notAfter) / 1000);
    assert.match(text, /^kmm_preflight_process_resident_memory_bytes /m);
  });

  it("serves /healthz and /readyz", async () => {
    assert.equal((await httpsRequest(server.port, { ca, path: "/healthz" })).body, "ok");
    const ready = await httpsRequest(server.port, { ca, path: "/readyz?verbose" });
    assert.equal(ready.status, 200);
    assert.match(ready.body, /\[\+\]certificates ok/);
  });
});

describe("startup failure", () => {
  it("releases what it had started when a port is taken, so the process can exit", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-busy-"));
    const blocker = http.createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    try {
      const busy = String((blocker.address() as AddressInfo).port);
      const probe = http.createServer().listen(0, "127.0.0.1");
      await once(probe, "listening");
      const httpsPort = (probe.address() as AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const { log } = captureLog();
      // Named as the listener and its setting: Node's own message is the same for either port.
      await assert.rejects(startServer(testConfig(dir, { PORT: String(httpsPort), METRICS_PORT: busy }), { log }), {
        code: "EADDRINUSE",
        message: new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${busy} for metrics \\(--metrics-port, METRICS_PORT\\): the port is in use \\(EADDRINUSE\\)`),
      });
      // Whatever had started before the failure is closed: the HTTPS port is free again.
      const reuse = http.createServer().listen(httpsPort, "127.0.0.1");
      await once(reuse, "listening");
      await new Promise((r) => reuse.close(r));
    } finally {
      blocker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("graceful shutdown", () => {
  it("turns /readyz to 503 during the shutdown delay, finishes an in-flight request, then stops accepting", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-shutdown-"));
    // shutdown() is idempotent: after a failed assertion this stops the server so the run can end.
    let cleanup: () => Promise<void> = async () => {};
    try {
      const { log } = captureLog();
      const server = await startServer(testConfig(dir, { SHUTDOWN_DELAY_SECONDS: "0.3" }), { log });
      cleanup = () => server.shutdown("test failed");
      const ca = await readFile(path.join(dir, "ca.crt"), "utf8");

      // Start a request and hold its body back, so it is in flight when shutdown begins.
      const payload = JSON.stringify(reviewOf({ object: preflight("in-flight") }));
      const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          { host: "127.0.0.1", port: server.port, path: VALIDATE_PREFLIGHT_PATH, method: "POST", ca, servername: SERVICE_DNS_NAME, agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
          (res) => {
            let body = "";
            res.on("data", (c) => (body += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.write(payload.slice(0, 10));
        setTimeout(() => req.end(payload.slice(10)), 600);
      });
      await new Promise((r) => setTimeout(r, 100));

      const stopped = server.shutdown("SIGTERM");
      const during = await httpsRequest(server.port, { ca, path: "/readyz" });
      assert.equal(during.status, 503);
      assert.match(during.body, /shutting down/);

      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).response.allowed, true);
      await stopped;
      await assert.rejects(httpsRequest(server.port, { ca, path: "/healthz" }), /ECONNREFUSED/);
    } finally {
      await cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("certificate rotation", () => {
  it("serves a rotated certificate from a new CA without a restart", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-rotate-"));
    try {
      const { log } = captureLog();
      const server = await startServer(testConfig(dir, { CERT_POLL_SECONDS: "0.05" }), { log });
      try {
        const oldCa = await readFile(path.join(dir, "ca.crt"), "utf8");
        assert.equal((await httpsRequest(server.port, { ca: oldCa, path: "/healthz" })).status, 200);

        const next = generateCertificates({ serviceName: "kmm-preflight", namespace: "kmm-preflight", validityDays: 30 });
        await writeFile(path.join(dir, "tls.key"), next.tlsKeyPem, { mode: 0o600 });
        await writeFile(path.join(dir, "tls.crt"), next.tlsCertPem);

        const deadline = Date.now() + 5000;
        for (;;) {
          const ok = await httpsRequest(server.port, { ca: next.caCertPem, path: "/healthz" }).then(() => true, () => false);
          if (ok) break;
          if (Date.now() > deadline) assert.fail("the rotated certificate was not served within 5 s");
          await new Promise((r) => setTimeout(r, 50));
        }
        await assert.rejects(httpsRequest(server.port, { ca: oldCa, path: "/healthz" }), /self-signed|unable to verify|certificate/i);
        const metrics = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
        const expiry = Number(/^kmm_preflight_certificate_expiry_timestamp_seconds (\S+)$/m.exec(metrics)?.[1]);
        assert.equal(expiry, Date.parse(new X509Certificate(next.tlsCertPem).validTo) / 1000, "the expiry metric follows the rotated certificate");
      } finally {
        await server.shutdown("test done");
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
