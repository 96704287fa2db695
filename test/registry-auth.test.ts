// The challenge flow against real docker-registry instances: htpasswd (Basic) and token (Bearer) auth,
// with pull secrets in docker config form.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { credentialsFromDockerConfig } from "../src/registry/index.js";
import { pushSimpleImage, type PushedImage } from "./support/oci-image.js";
import { dockerConfigFor, startRegistry, type RunningRegistry } from "./support/registry.js";
import { captureLog } from "./support/registry-log.js";
import { isRegistryError } from "./support/registry-assert.js";
import { FakeClock } from "./support/fake-clock.js";
import { startRegistryProxy, type RunningProxy } from "./support/registry-proxy.js";

import { trackedClients } from "./support/registry-clients.js";

/** Clients of one test registry, without retries. */
const clientsOf = (reg: () => RunningRegistry) => trackedClients(() => ({ tls: () => reg().tls, retries: 0 }));

const READER = { username: "reader", password: "reader-secret-pw", pull: ["team/*"], push: [], identityToken: "reader-refresh-token" };

describe("Basic auth (htpasswd)", () => {
  let reg: RunningRegistry;
  let image: PushedImage;
  const { clientFor } = clientsOf(() => reg);

  before(async () => {
    reg = await startRegistry({ auth: "htpasswd", users: [READER] });
    image = await pushSimpleImage(reg, "team/img", "v1");
  });
  after(() => reg?.stop());

  describe("given the pull secret", () => {
    it("pulls the manifest and a blob", async () => {
      const c = clientFor({ credentials: credentialsFromDockerConfig(dockerConfigFor(reg, READER)) });
      const r = await c.getImage(`${reg.host}/team/img:v1`);
      assert.equal(r.digest, image.digest);
      const s = await c.openBlob(r.ref, r.manifest.config);
      for await (const _ of s);
    });
  });

  describe("given no credentials", () => {
    it("fails with Unauthorized saying the registry requires credentials", async () => {
      await assert.rejects(clientFor().getImage(`${reg.host}/team/img:v1`), isRegistryError("Unauthorized", /requires credentials for team\/img$/));
    });
  });

  describe("given a wrong password", () => {
    it("fails with Unauthorized, says the credentials were rejected, and never shows them", async () => {
      const c = clientFor({ credentials: credentialsFromDockerConfig(dockerConfigFor(reg, { username: "reader", password: "wrong-pw-123" })) });
      await assert.rejects(c.getImage(`${reg.host}/team/img:v1`), (e: unknown) => {
        isRegistryError("Unauthorized", /rejected the credentials/)(e);
        assert.ok(!(e as Error).message.includes("wrong-pw-123"));
        return true;
      });
    });
  });

  describe("given credentials for another registry only", () => {
    it("sends none and fails with Unauthorized", async () => {
      const c = clientFor({ credentials: credentialsFromDockerConfig({ auths: { "quay.io": { username: "u", password: "p" } } }) });
      await assert.rejects(c.getImage(`${reg.host}/team/img:v1`), isRegistryError("Unauthorized", /requires credentials/));
    });
  });
});

describe("Bearer token auth", () => {
  let reg: RunningRegistry;
  let image: PushedImage;
  const { clientFor } = clientsOf(() => reg);
  const readerCredentials = () => credentialsFromDockerConfig(dockerConfigFor(reg, READER));
  const tokenRequestsFor = (scope: string) => reg.tokenServer!.requests.filter((r) => r.scopes.includes(scope));

  before(async () => {
    reg = await startRegistry({ auth: "token", users: [READER], anonymousPull: ["public/*"] });
    image = await pushSimpleImage(reg, "team/img", "v1");
    await pushSimpleImage(reg, "team/other", "v1");
    await pushSimpleImage(reg, "secret/img", "v1");
    await pushSimpleImage(reg, "public/img", "v1");
  });
  after(() => reg?.stop());

  describe("given a user allowed to pull the repository", () => {
    it("gets a token for exactly the pull scope and pulls", async () => {
      const c = clientFor({ credentials: readerCredentials() });
      const r = await c.getImage(`${reg.host}/team/img:v1`);
      assert.equal(r.digest, image.digest);
      const reqs = tokenRequestsFor("repository:team/img:pull");
      assert.equal(reqs.length, 1);
      assert.equal(reqs[0]!.username, "reader");
      assert.deepEqual(reqs[0]!.granted, ["repository:team/img:pull"]);
    });

    it("asks the token server once for repeated pulls of the same repository, including blobs", async () => {
      const c = clientFor({ credentials: readerCredentials() });
      const scope = "repository:team/other:pull";
      const before = tokenRequestsFor(scope).length;
      for (let i = 0; i < 3; i++) {
        const r = await c.getImage(`${reg.host}/team/other:v1`);
        for await (const _ of await c.openBlob(r.ref, r.manifest.layers[0]!));
      }
      await Promise.all([c.getImage(`${reg.host}/team/other:v1`), c.getImage(`${reg.host}/team/other:v1`)]);
      assert.equal(tokenRequestsFor(scope).length - before, 1);
    });
  });

  describe("given a user not allowed to pull the repository", () => {
    it("fails with Forbidden naming the repository", async () => {
      const c = clientFor({ credentials: readerCredentials() });
      await assert.rejects(c.getImage(`${reg.host}/secret/img:v1`), isRegistryError("Forbidden", /may not pull secret\/img/));
      assert.deepEqual(tokenRequestsFor("repository:secret/img:pull").at(-1)?.granted, ["repository:secret/img:"]);
    });
  });

  describe("given no credentials", () => {
    it("pulls a public repository with an anonymous token", async () => {
      const r = await clientFor().getImage(`${reg.host}/public/img:v1`);
      assert.ok(r.digest.startsWith("sha256:"));
      assert.equal(tokenRequestsFor("repository:public/img:pull").at(-1)?.username, undefined);
    });

    it("fails with Unauthorized for a private repository, saying it requires credentials", async () => {
      await assert.rejects(clientFor().getImage(`${reg.host}/team/img:v1`), isRegistryError("Unauthorized", /requires credentials for team\/img$/));
    });
  });

  describe("given a wrong password", () => {
    it("fails with Unauthorized from the token server, without retrying", async () => {
      const logged: string[] = [];
      const c = clientFor({ retries: 3, log: captureLog(logged), credentials: credentialsFromDockerConfig(dockerConfigFor(reg, { username: "reader", password: "nope-nope" })) });
      await assert.rejects(c.getImage(`${reg.host}/team/img:v1`), isRegistryError("Unauthorized", /token server .* rejected the credentials/));
      assert.equal(logged.filter((l) => l.includes("retrying")).length, 0);
      assert.ok(!logged.join("\n").includes("nope-nope"), "the password was logged");
    });
  });

  describe("given an identity token (docker's identitytoken) instead of a password", () => {
    it("exchanges it at the realm with the OAuth2 refresh_token grant", async () => {
      const c = clientFor({ credentials: credentialsFromDockerConfig({ auths: { [reg.host]: { auth: Buffer.from("<token>:").toString("base64"), identitytoken: READER.identityToken } } }) });
      await c.getImage(`${reg.host}/team/img:v1`);
      assert.equal(reg.tokenServer!.requests.at(-1)?.username, "reader");
    });

    it("fails with Unauthorized when the token is not accepted", async () => {
      const c = clientFor({ credentials: () => ({ identityToken: "revoked" }) });
      await assert.rejects(c.getImage(`${reg.host}/team/img:v1`), isRegistryError("Unauthorized", /rejected the credentials/));
    });
  });

  describe("given a token server that answers with access_token only", () => {
    let reg2: RunningRegistry;
    before(async () => {
      reg2 = await startRegistry({ auth: "token", tokenField: "access_token" });
      await pushSimpleImage(reg2, "a/b", "v1");
    });
    after(async () => reg2?.stop());

    it("uses it", async () => {
      const c = clientFor({ tls: () => reg2.tls, credentials: credentialsFromDockerConfig(dockerConfigFor(reg2)) });
      await c.getImage(`${reg2.host}/a/b:v1`);
    });
  });

  describe("given a 401 with a fresh challenge for a token the client still holds (revoked, or the registry restarted)", () => {
    let proxy: RunningProxy;
    before(async () => {
      proxy = await startRegistryProxy(reg.url);
    });
    after(() => proxy?.close());
    const manifestRequests = () => proxy.requests.filter((r) => /\/manifests\//.test(r.url));
    const challenge = () => ({
      status: 401,
      headers: { "www-authenticate": `Bearer realm="${reg.tokenServer!.realm}",service="${reg.tokenServer!.service}",scope="repository:team/img:pull",error="invalid_token"` },
      body: JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }),
    });
    // The proxy's host is the registry name here, so the credentials are looked up for any name.
    const viaProxy = () => clientFor({ tls: () => ({ insecure: true }), credentials: () => ({ username: READER.username, password: READER.password }) });

    it("drops the token, fetches a new one and retries once with it", async () => {
      const c = viaProxy();
      const scope = "repository:team/img:pull";
      await c.getImage(`${proxy.host}/team/img:v1`);
      const tokensBefore = tokenRequestsFor(scope).length;
      proxy.reset();
      proxy.fault({ path: /\/manifests\//, times: 1, fault: challenge() });
      const r = await c.getImage(`${proxy.host}/team/img:v1`);
      assert.equal(r.digest, image.digest);
      assert.equal(tokenRequestsFor(scope).length - tokensBefore, 1, "one new token");
      const [rejected, retried] = manifestRequests();
      assert.equal(manifestRequests().length, 2);
      assert.match(String(retried!.headers.authorization), /^Bearer /);
      assert.notEqual(retried!.headers.authorization, rejected!.headers.authorization, "the retry carries the new token");
    });

    it("retries only once: a second 401 fails with Unauthorized", async () => {
      const c = viaProxy();
      await c.getImage(`${proxy.host}/team/img:v1`);
      proxy.reset();
      proxy.fault({ path: /\/manifests\//, times: 2, fault: challenge() });
      await assert.rejects(c.getImage(`${proxy.host}/team/img:v1`), isRegistryError("Unauthorized"));
      assert.equal(manifestRequests().length, 2);
    });
  });

  describe("given a token that expires", () => {
    it("fetches a new one once the clock passes its lifetime", async () => {
      const clock = new FakeClock();
      const c = clientFor({ credentials: readerCredentials(), clock });
      const scope = "repository:team/img:pull";
      const start = tokenRequestsFor(scope).length;
      await c.getImage(`${reg.host}/team/img:v1`);
      await c.getImage(`${reg.host}/team/img:v1`);
      assert.equal(tokenRequestsFor(scope).length - start, 1);
      await clock.advance(301_000);
      await c.getImage(`${reg.host}/team/img:v1`);
      assert.equal(tokenRequestsFor(scope).length - start, 2);
    });
  });
});

describe("an HTTPS registry whose token realm is plain HTTP", () => {
  let reg: RunningRegistry;
  const { clientFor } = clientsOf(() => reg);
  before(async () => {
    reg = await startRegistry({ tls: true, auth: "token", users: [READER], anonymousPull: ["public/*"] });
    await pushSimpleImage(reg, "team/img", "v1");
    await pushSimpleImage(reg, "public/img", "v1");
  });
  after(() => reg?.stop());

  describe("given credentials", () => {
    it("refuses to send them to the realm, and sends nothing there", async () => {
      assert.match(reg.tokenServer!.realm, /^http:/);
      const before = reg.tokenServer!.requests.length;
      const c = clientFor({ ca: reg.ca!, credentials: credentialsFromDockerConfig(dockerConfigFor(reg, READER)) });
      await assert.rejects(c.getImage(`${reg.host}/team/img:v1`), isRegistryError("Unsupported", /served over HTTPS but names a plain-HTTP token realm .*refusing to send credentials there/));
      assert.deepEqual(reg.tokenServer!.requests.slice(before), []);
    });
  });

  describe("given no credentials", () => {
    it("gets an anonymous token there: nothing secret travels", async () => {
      const before = reg.tokenServer!.requests.length;
      const r = await clientFor({ ca: reg.ca! }).getImage(`${reg.host}/public/img:v1`);
      assert.ok(r.digest.startsWith("sha256:"));
      assert.deepEqual(reg.tokenServer!.requests.slice(before).map((t) => t.username), [undefined]);
    });
  });
});
