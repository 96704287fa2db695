// Retries, timeouts and redirects: a real docker-registry behind a loopback proxy that injects faults.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { RegistryClient, RegistryError, credentialsFromDockerConfig } from "../src/registry/index.js";
import { file } from "./support/layers.js";
import { pushSimpleImage, type PushedImage } from "./support/oci-image.js";
import { dockerConfigFor, startRegistry, type RunningRegistry } from "./support/registry.js";
import { captureLog } from "./support/registry-log.js";
import { closedPort, startRegistryProxy, type RunningProxy } from "./support/registry-proxy.js";
import { isRegistryError } from "./support/registry-assert.js";
import { trackedClients } from "./support/registry-clients.js";


async function drain(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const FAST = { backoff: { initialMs: 10, maxMs: 40 } } as const;

describe("retries, timeouts and redirects", () => {
  let reg: RunningRegistry;
  let proxy: RunningProxy;
  let image: PushedImage;
  let layer: Buffer;
  // The admin's credentials for any registry name: the proxy's and the registry's.
  const { clientFor } = trackedClients(() => ({ tls: () => ({ insecure: true }), credentials: () => ({ username: reg.username!, password: reg.password! }), ...FAST }));
  const ref = () => `${proxy.host}/kmm/img:v1`;
  const count = (path: RegExp, faulted?: boolean) => proxy.requests.filter((r) => path.test(r.url) && (faulted === undefined || r.faulted === faulted)).length;

  before(async () => {
    // Basic auth, so that the redirect test can check where Authorization goes.
    reg = await startRegistry({ auth: "htpasswd" });
    proxy = await startRegistryProxy(reg.url);
    image = await pushSimpleImage(reg, "kmm/img", "v1", { files: [file("lib/modules/x.ko", randomBytes(200_000))] });
    const c = new RegistryClient({ tls: () => reg.tls, credentials: credentialsFromDockerConfig(dockerConfigFor(reg)) });
    layer = await drain(await c.openBlob(`${reg.host}/kmm/img:v1`, image.layers[0]!));
    await c.close();
  });
  beforeEach(() => proxy.reset());
  after(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  describe("given 503 twice, then the registry", () => {
    it("retries and succeeds", async () => {
      proxy.fault({ path: /\/manifests\//, times: 2, fault: { status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"down"}]}' } });
      const r = await clientFor({ retries: 3 }).getImage(ref());
      assert.equal(r.digest, image.digest);
      assert.deepEqual([count(/\/manifests\//, true), count(/\/manifests\//, false)], [2, 1]);
    });
  });

  describe("given 503 more often than retries allow", () => {
    it("fails with Server, retryable, after retries + 1 attempts", async () => {
      proxy.fault({ path: /\/manifests\//, fault: { status: 503 } });
      await assert.rejects(clientFor({ retries: 2 }).getImage(ref()), (e: unknown) => {
        isRegistryError("Server", /service unavailable \(503\)/)(e);
        assert.equal((e as RegistryError).retryable, true);
        return true;
      });
      assert.equal(count(/\/manifests\//), 3);
    });
  });

  describe("given 429 with Retry-After: 1", () => {
    it("waits at least that long, then succeeds", async () => {
      proxy.fault({ path: /\/manifests\//, times: 1, fault: { status: 429, headers: { "retry-after": "1" }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } });
      const started = Date.now();
      await clientFor({ retries: 1 }).getImage(ref());
      assert.ok(Date.now() - started >= 950, `waited only ${Date.now() - started} ms`);
    });
  });

  describe("given 429 with a Retry-After above maxRetryAfterMs", () => {
    it("fails at once with TooManyRequests carrying the wait", async () => {
      proxy.fault({ path: /\/manifests\//, fault: { status: 429, headers: { "retry-after": "3600" } } });
      await assert.rejects(clientFor({ retries: 3, maxRetryAfterMs: 5000 }).getImage(ref()), (e: unknown) => {
        isRegistryError("TooManyRequests", /rate limiting.*Retry-After: 3600s/)(e);
        assert.deepEqual([(e as RegistryError).retryable, (e as RegistryError).retryAfterMs], [true, 3_600_000]);
        return true;
      });
      assert.equal(count(/\/manifests\//), 1);
    });
  });

  describe("given a connection reset on the first attempt", () => {
    it("retries and succeeds", async () => {
      proxy.fault({ path: /\/manifests\//, times: 1, fault: "reset" });
      await clientFor({ retries: 1 }).getImage(ref());
      assert.equal(count(/\/manifests\//), 2);
    });
  });

  describe("given a registry that never answers", () => {
    it("fails with Timeout after timeoutMs per attempt", async () => {
      proxy.fault({ path: /\/manifests\//, fault: "hang" });
      const started = Date.now();
      await assert.rejects(clientFor({ retries: 1, timeoutMs: 300 }).getImage(ref()), isRegistryError("Timeout", /did not answer within 300 ms/));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 600 && elapsed < 3000, `took ${elapsed} ms`);
      assert.equal(count(/\/manifests\//), 2);
    });
  });

  describe("given the caller aborts while the registry hangs", () => {
    it("rejects with the caller's reason at once and does not retry", async () => {
      const controller = new AbortController();
      const reason = new Error("preflight cancelled");
      // Never answers, and the caller gives up once the request is in flight (not after a guessed delay).
      proxy.fault({ path: /\/manifests\//, fault: () => controller.abort(reason) });
      await assert.rejects(clientFor({ retries: 3, timeoutMs: 10_000 }).getImage(ref(), { signal: controller.signal }), (e: unknown) => e === reason);
      assert.equal(count(/\/manifests\//), 1);
    });
  });

  describe("given a blob that stalls after some bytes", () => {
    it("ends the stream with Timeout and does not retry after bytes were handed out", async () => {
      proxy.fault({
        path: /\/blobs\//,
        fault: (_req, res) => {
          res.writeHead(200, { "content-length": String(layer.length), "content-type": "application/octet-stream" });
          res.write(layer.subarray(0, 1000));
        },
      });
      const c = clientFor({ retries: 3, timeoutMs: 300 });
      const s = await c.openBlob(ref(), image.layers[0]!);
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const chunk of s) received += (chunk as Buffer).length;
        })(),
        isRegistryError("Timeout", /stopped sending data/),
      );
      assert.equal(received, 1000);
      assert.equal(count(/\/blobs\//), 1);
    });
  });

  describe("given a blob sent without Content-Length that runs past the descriptor's size", () => {
    it("stops reading at the size and fails with Corrupt", async () => {
      let written = 0;
      proxy.fault({
        path: /\/blobs\//,
        fault: (_req, res) => {
          res.writeHead(200, { "content-type": "application/octet-stream" }); // chunked
          const pump = () => {
            while (written < 64 * 1024 * 1024 && !res.destroyed) {
              written += 64 * 1024;
              if (!res.write(randomBytes(64 * 1024))) return void res.once("drain", pump);
            }
            res.end();
          };
          pump();
        },
      });
      const s = await clientFor().openBlob(ref(), image.layers[0]!);
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const chunk of s) received += (chunk as Buffer).length;
        })(),
        isRegistryError("Corrupt", new RegExp(`more than the ${image.layers[0]!.size} bytes`)),
      );
      assert.ok(received <= image.layers[0]!.size);
      assert.ok(written < 16 * 1024 * 1024, `the server got to write ${written} bytes`);
    });
  });

  describe("given a registry on a closed port", () => {
    it("fails with Unreachable naming host and cause, after the retries", async () => {
      const port = await closedPort();
      const logged: string[] = [];
      await assert.rejects(
        clientFor({ retries: 2, log: captureLog(logged) }).getImage(`127.0.0.1:${port}/kmm/img:v1`),
        isRegistryError("Unreachable", new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED`)),
      );
      assert.equal(logged.filter((l) => l.includes("registry request failed, retrying")).length, 2);
    });
  });

  describe("given a blob redirected to storage on another host", () => {
    let storage: http.Server;
    let storageUrl: string;
    const seen: http.IncomingHttpHeaders[] = [];
    let serve: Buffer;
    before(async () => {
      storage = http.createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(200, { "content-length": String(serve.length) }).end(serve);
      });
      await new Promise<void>((resolve) => storage.listen(0, "127.0.0.1", resolve));
      storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    });
    after(async () => {
      storage.closeAllConnections();
      await new Promise<void>((resolve) => storage.close(() => resolve()));
    });
    beforeEach(() => {
      seen.length = 0;
      serve = layer;
      proxy.fault({ path: /\/blobs\//, fault: { status: 307, headers: { location: `${storageUrl}/data?X-Amz-Signature=very-secret-signature` } } });
    });

    it("follows the redirect without sending Authorization there, and never logs the signature", async () => {
      const logged: string[] = [];
      const s = await clientFor({ log: captureLog(logged) }).openBlob(ref(), image.layers[0]!);
      assert.deepEqual(await drain(s), layer);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!["authorization"], undefined);
      assert.match(String(proxy.requests.find((r) => /\/blobs\//.test(r.url))?.headers["authorization"]), /^Basic /);
      assert.ok(logged.some((l) => l.includes("X-Amz-Signature=REDACTED")), "the redirect was not logged");
      assert.ok(!logged.join("\n").includes("very-secret-signature"));
    });

    it("still verifies what storage sends", async () => {
      serve = Buffer.from(layer).fill(0, 0, 10);
      const s = await clientFor().openBlob(ref(), image.layers[0]!);
      await assert.rejects(drain(s), isRegistryError("Corrupt"));
    });
  });
});
