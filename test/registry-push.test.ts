// Pushing with the registry client against real docker-registry instances: blobs (monolithic,
// chunked from a stream, skipped when present, mounted across repositories), manifests, and push
// access through Basic and Bearer auth.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { credentialsFromDockerConfig, digestOf, MEDIA_TYPES, type Descriptor } from "../src/registry/index.js";
import { isRegistryError } from "./support/registry-assert.js";
import { trackedClients } from "./support/registry-clients.js";
import { startRegistryProxy, type RunningProxy } from "./support/registry-proxy.js";
import { dockerConfigFor, startRegistry, type RunningRegistry } from "./support/registry.js";
import { pseudoRandomStream, pushBlob as pushFixtureBlob } from "./support/oci-image.js";

const descOf = (data: Buffer, mediaType = "application/octet-stream"): Descriptor => ({ mediaType, digest: digestOf(data), size: data.length });
const neverOpened = async (): Promise<Readable> => {
  throw new Error("the content was read although the blob should have been mounted or skipped");
};

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A config and manifest naming `layer`, as bytes. */
function manifestFor(config: Buffer, layer: Descriptor): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: descOf(config, MEDIA_TYPES.ociConfig), layers: [layer] }));
}

describe("pushing to a registry without auth", () => {
  let reg: RunningRegistry;
  const { clientFor } = trackedClients(() => ({ tls: () => reg.tls, retries: 0 }));
  before(async () => (reg = await startRegistry()));
  after(() => reg?.stop());

  describe("given bytes in memory", () => {
    it("uploads them, then finds them there and skips the upload", async () => {
      const c = clientFor();
      const data = Buffer.from("a blob in memory");
      assert.equal(await c.hasBlob(`${reg.host}/mem/a:v1`, digestOf(data)), false);
      assert.deepEqual(await c.pushBlob(`${reg.host}/mem/a:v1`, descOf(data), data), { digest: digestOf(data), size: data.length, how: "uploaded" });
      assert.equal(await c.hasBlob(`${reg.host}/mem/a:v1`, digestOf(data)), true);
      assert.equal((await c.pushBlob(`${reg.host}/mem/a:v1`, descOf(data), data)).how, "present");
      assert.deepEqual(await readAll(await c.openBlob(`${reg.host}/mem/a:v1`, descOf(data))), data);
    });
  });

  describe("given bytes that do not match the descriptor", () => {
    it("refuses before sending anything", async () => {
      await assert.rejects(clientFor().pushBlob(`${reg.host}/mem/b:v1`, descOf(Buffer.from("other")), Buffer.from("these")), isRegistryError("Corrupt", /do not match/));
      assert.equal(await clientFor().hasBlob(`${reg.host}/mem/b:v1`, digestOf(Buffer.from("these"))), false);
    });
  });

  describe("given a stream, in chunks smaller than the blob", () => {
    it("uploads it with PATCH requests and the registry holds the same bytes", async () => {
      const data = await readAll(pseudoRandomStream(300_000, "chunked"));
      const c = clientFor();
      const r = await c.pushBlob(`${reg.host}/stream/a:v1`, descOf(data), async () => Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), { chunkBytes: 64 * 1024 });
      assert.equal(r.how, "uploaded");
      assert.deepEqual(await readAll(await c.openBlob(`${reg.host}/stream/a:v1`, descOf(data))), data);
    });
    it("fails as Corrupt when the stream is not the blob the descriptor names", async () => {
      const data = Buffer.from("the real content");
      await assert.rejects(
        clientFor().pushBlob(`${reg.host}/stream/b:v1`, descOf(data), async () => Readable.from([Buffer.from("something else")])),
        isRegistryError("Corrupt", /digest/),
      );
      assert.equal(await clientFor().hasBlob(`${reg.host}/stream/b:v1`, digestOf(data)), false);
    });
  });

  describe("given a blob that another repository of the registry holds", () => {
    it("mounts it without reading the content", async () => {
      const data = Buffer.from("a layer shared between repositories");
      await pushFixtureBlob(reg, "source/img", data);
      const r = await clientFor().pushBlob(`${reg.host}/target/img:v1`, descOf(data), neverOpened, { mountFrom: `${reg.host}/source/img:v0` });
      assert.equal(r.how, "mounted");
      assert.equal(await clientFor().hasBlob(`${reg.host}/target/img:v1`, digestOf(data)), true);
    });
  });

  describe("given a manifest whose blobs were pushed", () => {
    it("puts it under the tag and the client resolves the tag to it, byte for byte", async () => {
      const c = clientFor();
      const layer = Buffer.from("layer");
      const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
      await c.pushBlob(`${reg.host}/man/a:v1`, descOf(layer), layer);
      await c.pushBlob(`${reg.host}/man/a:v1`, descOf(config), config);
      const manifest = manifestFor(config, descOf(layer, MEDIA_TYPES.ociLayer));
      assert.equal(await c.putManifest(`${reg.host}/man/a:v1`, manifest, MEDIA_TYPES.ociManifest), digestOf(manifest));
      const got = await c.getImage(`${reg.host}/man/a:v1`);
      assert.equal(got.manifestDigest, digestOf(manifest));
      assert.deepEqual(got.manifestBytes, manifest);
    });
    it("refuses a digest reference that is not the manifest's digest", async () => {
      const manifest = manifestFor(Buffer.from("{}"), descOf(Buffer.from("layer")));
      await assert.rejects(clientFor().putManifest(`${reg.host}/man/a@${digestOf(Buffer.from("x"))}`, manifest, MEDIA_TYPES.ociManifest), isRegistryError("Unsupported", /cannot be pushed as/));
    });
    it("fails when a blob it names is missing (the registry says so)", async () => {
      const manifest = manifestFor(Buffer.from('{"never":"pushed"}'), descOf(Buffer.from("nor this")));
      await assert.rejects(clientFor().putManifest(`${reg.host}/man/b:v1`, manifest, MEDIA_TYPES.ociManifest), (e: unknown) => {
        isRegistryError("Unsupported")(e);
        assert.match((e as Error).message, /MANIFEST_BLOB_UNKNOWN|blob unknown/i);
        return true;
      });
    });
  });
});

describe("pushing through faults", () => {
  let reg: RunningRegistry;
  let proxy: RunningProxy;
  let elsewhere: RunningProxy;
  const { clientFor } = trackedClients(() => ({ tls: () => ({ insecure: true }), retries: 2, backoff: { initialMs: 1, maxMs: 5 } }));
  before(async () => {
    reg = await startRegistry({ auth: "htpasswd" });
    proxy = await startRegistryProxy(reg.url, { keepHost: true });
    elsewhere = await startRegistryProxy(reg.url);
  });
  after(async () => {
    await proxy?.close();
    await elsewhere?.close();
    await reg?.stop();
  });
  const creds = () => credentialsFromDockerConfig(JSON.parse(dockerConfigFor(reg).replaceAll(reg.host, proxy.host)));

  describe("given a registry that fails the upload's PUT once with 503", () => {
    it("starts the upload again (a new POST) and succeeds", async () => {
      proxy.reset();
      proxy.fault({ method: "PUT", path: /\/blobs\/uploads\//, times: 1, fault: { status: 503 } });
      const data = Buffer.from("retried upload");
      const r = await clientFor({ credentials: creds() }).pushBlob(`${proxy.host}/retry/a:v1`, descOf(data), data);
      assert.equal(r.how, "uploaded");
      assert.deepEqual(proxy.requests.filter((q) => q.method !== "GET").map((q) => [q.method, q.faulted]), [["HEAD", false], ["POST", false], ["PUT", true], ["POST", false], ["PUT", false]]);
    });
  });

  describe("given an upload Location on another host", () => {
    it("never sends the credentials there", async () => {
      proxy.reset();
      elsewhere.reset();
      proxy.fault({ method: "POST", path: /\/blobs\/uploads\//, fault: { status: 202, headers: { location: `${elsewhere.url}/v2/moved/a/blobs/uploads/somewhere` } } });
      const data = Buffer.from("not for another host");
      await assert.rejects(clientFor({ credentials: creds(), retries: 0 }).pushBlob(`${proxy.host}/moved/a:v1`, descOf(data), data));
      assert.ok(elsewhere.requests.length > 0, "the client followed the Location");
      for (const q of elsewhere.requests) assert.equal(q.headers.authorization, undefined, `${q.method} ${q.url} carried credentials`);
      assert.ok(proxy.requests.some((q) => q.headers.authorization !== undefined), "the registry itself got them");
    });
  });

  describe("given no credentials for a registry that requires them", () => {
    it("fails with Unauthorized, in push terms", async () => {
      const data = Buffer.from("anonymous");
      await assert.rejects(clientFor().pushBlob(`${reg.host}/anon/a:v1`, descOf(data), data), isRegistryError("Unauthorized", /requires credentials for anon\/a/));
    });
  });
});

describe("pushing with token auth", () => {
  const WRITER = { username: "writer", password: "writer-secret-pw", pull: ["*"], push: ["team/*"] };
  let reg: RunningRegistry;
  const { clientFor } = trackedClients(() => ({ tls: () => reg.tls, retries: 0, credentials: credentialsFromDockerConfig(dockerConfigFor(reg, WRITER)) }));
  before(async () => (reg = await startRegistry({ auth: "token", users: [WRITER] })));
  after(() => reg?.stop());

  describe("given a user who may push to team/*", () => {
    it("asks for pull,push on the target and pull on a mount's source, and mounts", async () => {
      const data = Buffer.from("token-auth layer");
      await clientFor().pushBlob(`${reg.host}/team/source:v1`, descOf(data), data);
      const before = reg.tokenServer!.requests.length;
      const r = await clientFor().pushBlob(`${reg.host}/team/target:v1`, descOf(data), neverOpened, { mountFrom: `${reg.host}/team/source:v1` });
      assert.equal(r.how, "mounted");
      const scopes = reg.tokenServer!.requests.slice(before).flatMap((q) => q.scopes);
      assert.ok(scopes.includes("repository:team/target:pull,push"), scopes.join(" "));
      assert.ok(scopes.includes("repository:team/source:pull"), scopes.join(" "));
    });
  });

  describe("given a repository the user may not push to", () => {
    it("fails with Forbidden saying the credentials may not push there", async () => {
      const data = Buffer.from("not allowed here");
      await assert.rejects(clientFor().pushBlob(`${reg.host}/other/img:v1`, descOf(data), data), isRegistryError("Forbidden", /may not push to other\/img/));
    });
  });
});
