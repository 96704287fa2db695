// RegistryClient against a real docker-registry (distribution 2.8) without auth: formats, indexes,
// platforms, not-found cases and digest verification of manifests and blobs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { RegistryClient, type RegistryClientOptions } from "../src/registry/index.js";
import { dir, file, layer as layerOf } from "./support/layers.js";
import { MEDIA, pushBlob, pushImage, pushIndex, pushSimpleImage, type PushedImage } from "./support/oci-image.js";
import { startRegistry, type RunningRegistry } from "./support/registry.js";
import { captureLog } from "./support/registry-log.js";
import { isRegistryError } from "./support/registry-assert.js";

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("RegistryClient against docker-registry without auth", () => {
  let reg: RunningRegistry;
  let client: RegistryClient;
  let layer: Buffer;
  let oci: PushedImage;
  let docker: PushedImage;
  let arm64: PushedImage;
  let armv7: PushedImage;
  const clientFor = (o: RegistryClientOptions = {}) => new RegistryClient({ tls: () => reg.tls, retries: 0, ...o });

  before(async () => {
    reg = await startRegistry();
    client = clientFor();
    layer = await layerOf([file("opt/lib/modules/6.1.0/kmm.ko", "ELF…"), dir("opt/lib/modules/6.1.0")]);
    oci = await pushImage(reg, "kmm/oci", "v1", { layers: [layer] });
    docker = await pushImage(reg, "kmm/docker", "v1", { layers: [layer], format: "docker" });
    arm64 = await pushSimpleImage(reg, "kmm/multi", "arm64", { platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    armv7 = await pushSimpleImage(reg, "kmm/multi", "armv7", { platform: { os: "linux", architecture: "arm", variant: "v7" } });
    const amd64 = await pushSimpleImage(reg, "kmm/multi", "amd64");
    await pushIndex(reg, "kmm/multi", "oci", { "linux/amd64": amd64, "linux/arm64/v8": arm64, "linux/arm/v7": armv7 });
    await pushIndex(reg, "kmm/multi", "docker", { "linux/amd64": amd64, "linux/arm64/v8": arm64 }, { format: "docker" });
    await pushIndex(reg, "kmm/multi", "arm-only", { "linux/arm64/v8": arm64 });
  });
  after(async () => {
    await client?.close();
    await reg?.stop();
  });

  describe("given an OCI image by tag", () => {
    it("returns its manifest and the Docker-Content-Digest", async () => {
      const r = await client.getImage(`${reg.host}/kmm/oci:v1`);
      assert.equal(r.digest, oci.digest);
      assert.equal(r.manifestDigest, oci.digest);
      assert.equal(r.mediaType, MEDIA.ociManifest);
      assert.deepEqual(r.manifest.layers.map((l) => [l.mediaType, l.digest, l.size]), [[MEDIA.ociLayerGzip, oci.layers[0]!.digest, layer.length]]);
      assert.equal(r.manifest.config.digest, oci.config.digest);
      assert.equal(r.platform, undefined);
    });

    it("streams the layer and the config byte for byte", async () => {
      const r = await client.getImage(`${reg.host}/kmm/oci:v1`);
      assert.deepEqual(await readAll(await client.openBlob(r.ref, r.manifest.layers[0]!)), layer);
      const config = JSON.parse((await readAll(await client.openBlob(r.ref, r.manifest.config))).toString());
      assert.equal(config.rootfs.diff_ids.length, 1);
    });
  });

  describe("given a Docker v2 schema 2 image", () => {
    it("returns the Docker media types", async () => {
      const r = await client.getImage(`${reg.host}/kmm/docker:v1`);
      assert.equal(r.digest, docker.digest);
      assert.equal(r.mediaType, MEDIA.dockerManifest);
      assert.equal(r.manifest.config.mediaType, MEDIA.dockerConfig);
      assert.equal(r.manifest.layers[0]!.mediaType, MEDIA.dockerLayerGzip);
    });
  });

  describe("given a reference by digest", () => {
    it("fetches and verifies that manifest", async () => {
      const r = await client.getImage(`${reg.host}/kmm/oci@${oci.digest}`);
      assert.equal(r.digest, oci.digest);
    });

    it("lets the digest win over a tag", async () => {
      const r = await client.getImage(`${reg.host}/kmm/multi:oci@${arm64.digest}`);
      assert.equal(r.manifestDigest, arm64.digest);
    });
  });

  describe("given a multi-arch index", () => {
    for (const tag of ["oci", "docker"]) {
      it(`picks linux/amd64 by default (${tag})`, async () => {
        const r = await client.getImage(`${reg.host}/kmm/multi:${tag}`);
        assert.deepEqual(r.platform, { os: "linux", architecture: "amd64" });
        assert.equal(r.mediaType, tag === "oci" ? MEDIA.ociIndex : MEDIA.dockerManifestList);
        assert.notEqual(r.digest, r.manifestDigest, "digest names the index, manifestDigest the image");
      });
    }

    it("selects linux/arm64 from the client options, without naming the variant", async () => {
      const arm = clientFor({ platform: { os: "linux", architecture: "arm64" } });
      try {
        const r = await arm.getImage(`${reg.host}/kmm/multi:oci`);
        assert.equal(r.manifestDigest, arm64.digest);
        assert.deepEqual(r.platform, { os: "linux", architecture: "arm64", variant: "v8" });
      } finally {
        await arm.close();
      }
    });

    it("selects a variant per call", async () => {
      const r = await client.getImage(`${reg.host}/kmm/multi:oci`, { platform: { os: "linux", architecture: "arm", variant: "v7" } });
      assert.equal(r.manifestDigest, armv7.digest);
    });

    it("fails with NotFound listing what exists when the platform is missing", async () => {
      await assert.rejects(
        client.getImage(`${reg.host}/kmm/multi:arm-only`),
        isRegistryError("NotFound", /kmm\/multi:arm-only: the image has no manifest for linux\/amd64 \(it has linux\/arm64\/v8\)/),
      );
    });
  });

  describe("given names that do not exist", () => {
    it("reports a missing tag as NotFound with MANIFEST_UNKNOWN", async () => {
      await assert.rejects(
        client.getImage(`${reg.host}/kmm/oci:no-such-tag`),
        isRegistryError("NotFound", /kmm\/oci:no-such-tag: manifest unknown \(404 MANIFEST_UNKNOWN\): the tag does not exist/, "MANIFEST_UNKNOWN"),
      );
    });

    it("reports a missing repository as NotFound and says it is the repository", async () => {
      await assert.rejects(client.getImage(`${reg.host}/kmm/nothing-here:v1`), isRegistryError("NotFound", /repository kmm\/nothing-here does not exist/, "NAME_UNKNOWN"));
    });

    it("reports a missing digest as NotFound", async () => {
      await assert.rejects(client.getImage(`${reg.host}/kmm/oci@sha256:${"0".repeat(64)}`), isRegistryError("NotFound", /no manifest with this digest/));
    });

    it("reports a missing blob as NotFound", async () => {
      await assert.rejects(client.openBlob(`${reg.host}/kmm/oci:v1`, { mediaType: MEDIA.ociLayer, digest: `sha256:${"1".repeat(64)}`, size: 3 }), isRegistryError("NotFound"));
    });

    it("does not retry a 404", async () => {
      const logged: string[] = [];
      const c = clientFor({ retries: 3, log: captureLog(logged) });
      try {
        await assert.rejects(c.getImage(`${reg.host}/kmm/oci:nope`), isRegistryError("NotFound"));
        assert.equal(logged.filter((l) => l.includes("retrying")).length, 0);
      } finally {
        await c.close();
      }
    });
  });

  describe("given an invalid reference", () => {
    it("rejects it before any request", async () => {
      await assert.rejects(client.getImage("Not A Reference"), isRegistryError("Unsupported", /not a valid image reference/));
    });
  });

  describe("given a blob corrupted in the registry's storage (same size)", () => {
    it("errors at the end of the stream with Corrupt", async () => {
      const bytes = Buffer.from("original blob content, 1234567890");
      const { digest } = await pushBlob(reg, "kmm/corrupt", bytes);
      const file = reg.blobPath(digest);
      const stored = await readFile(file);
      stored[5] = stored[5]! ^ 0xff;
      await writeFile(file, stored);
      const stream = await client.openBlob(`${reg.host}/kmm/corrupt:x`, { mediaType: MEDIA.ociLayer, digest, size: bytes.length });
      await assert.rejects(readAll(stream), isRegistryError("Corrupt", /content digest sha256:[0-9a-f]{64} does not match/));
    });
  });

  describe("given a blob whose size differs from the descriptor", () => {
    it("fails with Corrupt before streaming, from Content-Length", async () => {
      const bytes = Buffer.from("twelve bytes");
      const { digest } = await pushBlob(reg, "kmm/corrupt", bytes);
      await assert.rejects(client.openBlob(`${reg.host}/kmm/corrupt:x`, { mediaType: MEDIA.ociLayer, digest, size: 5 }), isRegistryError("Corrupt", /announces 12 bytes where the manifest says 5/));
    });
  });

  describe("given a manifest corrupted in the registry's storage", () => {
    let image: PushedImage;
    before(async () => {
      image = await pushSimpleImage(reg, "kmm/corrupt-manifest", "v1");
      const file = reg.blobPath(image.digest);
      const stored = await readFile(file);
      await writeFile(file, Buffer.from(stored.toString().replace('"schemaVersion": 2', '"schemaVersion":  2')));
    });

    it("fails by tag: the content does not match Docker-Content-Digest", async () => {
      await assert.rejects(client.getImage(`${reg.host}/kmm/corrupt-manifest:v1`), isRegistryError("Corrupt", /does not match Docker-Content-Digest/));
    });

    it("fails by digest: the content does not match the requested digest", async () => {
      await assert.rejects(client.getImage(`${reg.host}/kmm/corrupt-manifest@${image.digest}`), isRegistryError("Corrupt", /does not match the requested digest/));
    });
  });

  describe("given a manifest larger than maxManifestBytes", () => {
    it("refuses it", async () => {
      const small = clientFor({ maxManifestBytes: 100 });
      try {
        await assert.rejects(small.getImage(`${reg.host}/kmm/oci:v1`), isRegistryError("Unsupported", /larger than the 100 bytes/));
      } finally {
        await small.close();
      }
    });
  });
});
