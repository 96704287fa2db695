// TLS per registry against a real docker-registry serving HTTPS with a certificate from a private CA,
// and plain HTTP (registryTLS.insecure).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { RegistryError } from "../src/registry/index.js";
import { pushSimpleImage, type PushedImage } from "./support/oci-image.js";
import { startRegistry, type RunningRegistry } from "./support/registry.js";
import { captureLog } from "./support/registry-log.js";
import { isRegistryError } from "./support/registry-assert.js";
import { trackedClients } from "./support/registry-clients.js";


describe("registry TLS", () => {
  let https: RunningRegistry;
  let http: RunningRegistry;
  let secureImage: PushedImage;
  let plainImage: PushedImage;
  const { clientFor } = trackedClients(() => ({ retries: 0 }));

  before(async () => {
    https = await startRegistry({ tls: true });
    http = await startRegistry();
    secureImage = await pushSimpleImage(https, "kmm/tls", "v1");
    plainImage = await pushSimpleImage(http, "kmm/plain", "v1");
  });
  after(() => Promise.all([https?.stop(), http?.stop()]));

  describe("given an HTTPS registry whose CA the client trusts through `ca`", () => {
    it("verifies the certificate and pulls", async () => {
      const r = await clientFor({ ca: https.ca! }).getImage(`${https.host}/kmm/tls:v1`);
      assert.equal(r.digest, secureImage.digest);
    });
  });

  describe("given an HTTPS registry with an untrusted certificate", () => {
    it("refuses it with a TLS message, without retrying", async () => {
      const logged: string[] = [];
      const c = clientFor({ retries: 3, log: captureLog(logged) });
      await assert.rejects(c.getImage(`${https.host}/kmm/tls:v1`), (e: unknown) => {
        isRegistryError("Unreachable", /TLS verification of 127\.0\.0\.1:\d+ failed .*trust the registry's CA/)(e);
        assert.equal((e as RegistryError).retryable, false);
        assert.equal((e as RegistryError).tlsFailure, "UntrustedCertificate");
        return true;
      });
      assert.equal(logged.filter((l) => l.includes("retrying")).length, 0);
    });
  });

  describe("given registryTLS.insecureSkipTLSVerify for that registry", () => {
    it("pulls without verifying, only from that registry", async () => {
      const c = clientFor({ tls: (r) => (r === https.host ? { insecureSkipTLSVerify: true } : undefined) });
      const r = await c.getImage(`${https.host}/kmm/tls:v1`);
      assert.equal(r.digest, secureImage.digest);
      const s = await c.openBlob(r.ref, r.manifest.layers[0]!);
      for await (const _ of s);
    });
  });

  describe("given one client asked for a registry with and without verification (per request)", () => {
    it("does not let what it learned without verifying steer the verified requests: it asks /v2/ again", async () => {
      const logged: string[] = [];
      const c = clientFor({ ca: https.ca!, log: captureLog(logged) });
      const pings = () => logged.filter((l) => l.includes('"registry request"') && l.includes(`${https.host}/v2/"`)).length;
      await c.getImage(`${https.host}/kmm/tls:v1`, { tls: { insecureSkipTLSVerify: true } });
      await c.getImage(`${https.host}/kmm/tls:v1`, { tls: { insecureSkipTLSVerify: true } });
      assert.equal(pings(), 1);
      const r = await c.getImage(`${https.host}/kmm/tls:v1`);
      assert.equal(r.digest, secureImage.digest);
      assert.equal(pings(), 2);
    });
  });

  describe("given registryTLS.insecure for a plain-HTTP registry", () => {
    it("pulls over HTTP", async () => {
      const r = await clientFor({ tls: () => ({ insecure: true }) }).getImage(`${http.host}/kmm/plain:v1`);
      assert.equal(r.digest, plainImage.digest);
    });
  });

  describe("given a plain-HTTP registry without registryTLS.insecure", () => {
    it("fails, saying the registry may speak plain HTTP", async () => {
      await assert.rejects(clientFor({}).getImage(`${http.host}/kmm/plain:v1`), (e: unknown) => {
        isRegistryError("Unreachable", /may speak plain HTTP/)(e);
        assert.equal((e as RegistryError).tlsFailure, "NotTls");
        return true;
      });
    });
  });
});
