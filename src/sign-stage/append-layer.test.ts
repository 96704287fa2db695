import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MEDIA_TYPES, digestOf } from "../registry/index.js";
import * as sut from "./append-layer.js";

const config = (extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Env: ["A=1"] }, rootfs: { type: "layers", diff_ids: ["sha256:d0"] }, ...extra }));
const manifest = (mediaType: string, extra: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: "cfg", digest: "sha256:c0", size: 1 }, layers: [{ mediaType: "l", digest: "sha256:l0", size: 2 }], ...extra }));
const LAYER: sut.LayerToAppend = { digest: "sha256:new", size: 42, diffId: "sha256:dnew", createdBy: "kmm-preflight sign", comment: "signed 1 kernel module with sha256" };

describe("appendLayer()", () => {
  describe("given an OCI image with a history and annotations", () => {
    const r = sut.appendLayer(
      { manifestBytes: manifest(MEDIA_TYPES.ociManifest, { annotations: { keep: "me" } }), manifestMediaType: MEDIA_TYPES.ociManifest, configBytes: config({ created: "2026-01-02T03:04:05Z", history: [{ created_by: "base" }] }) },
      { ...LAYER, annotations: { "org.opencontainers.image.base.name": "reg/x:1" } },
    );
    it("adds the layer on top, points at the new config and keeps every other field", () => {
      assert.ok(r.ok);
      const m = JSON.parse(r.manifest.toString());
      assert.deepEqual(m.layers, [{ mediaType: "l", digest: "sha256:l0", size: 2 }, { mediaType: MEDIA_TYPES.ociLayerGzip, digest: "sha256:new", size: 42 }]);
      assert.deepEqual(m.config, { mediaType: "cfg", digest: digestOf(r.config), size: r.config.length });
      assert.deepEqual(m.annotations, { keep: "me", "org.opencontainers.image.base.name": "reg/x:1" });
      assert.equal(r.manifestDigest, digestOf(r.manifest));
    });
    it("extends diff_ids and the history, dated like the image", () => {
      assert.ok(r.ok);
      const c = JSON.parse(r.config.toString());
      assert.deepEqual(c.rootfs, { type: "layers", diff_ids: ["sha256:d0", "sha256:dnew"] });
      assert.deepEqual(c.history, [{ created_by: "base" }, { created: "2026-01-02T03:04:05Z", created_by: "kmm-preflight sign", comment: "signed 1 kernel module with sha256" }]);
      assert.deepEqual(c.config, { Env: ["A=1"] });
    });
  });

  describe("given a Docker v2 image without a history", () => {
    it("uses Docker's gzip layer type, adds no history and no annotations", () => {
      const r = sut.appendLayer({ manifestBytes: manifest(MEDIA_TYPES.dockerManifest), manifestMediaType: MEDIA_TYPES.dockerManifest, configBytes: config() }, { ...LAYER, annotations: { a: "b" } });
      assert.ok(r.ok);
      const m = JSON.parse(r.manifest.toString());
      assert.equal(m.layers[1].mediaType, MEDIA_TYPES.dockerLayerGzip);
      assert.equal(m.annotations, undefined);
      assert.equal(JSON.parse(r.config.toString()).history, undefined);
    });
  });

  describe("given what cannot be extended", () => {
    const cases: [string, sut.ImageToExtend][] = [
      ["an index", { manifestBytes: manifest(MEDIA_TYPES.ociIndex), manifestMediaType: MEDIA_TYPES.ociIndex, configBytes: config() }],
      ["a config without rootfs", { manifestBytes: manifest(MEDIA_TYPES.ociManifest), manifestMediaType: MEDIA_TYPES.ociManifest, configBytes: Buffer.from('{"os":"linux"}') }],
      ["a config that is not JSON", { manifestBytes: manifest(MEDIA_TYPES.ociManifest), manifestMediaType: MEDIA_TYPES.ociManifest, configBytes: Buffer.from("{") }],
      ["a manifest without layers", { manifestBytes: Buffer.from('{"config":{}}'), manifestMediaType: MEDIA_TYPES.ociManifest, configBytes: config() }],
    ];
    for (const [what, image] of cases) it(`refuses ${what}`, () => assert.equal(sut.appendLayer(image, LAYER).ok, false));
  });
});

describe("createdOf()", () => {
  describe("given a config with and without a creation time", () => {
    it("gives that time, or the epoch", () => {
      assert.equal(sut.createdOf(config({ created: "2026-01-02T03:04:05Z" })).toISOString(), "2026-01-02T03:04:05.000Z");
      assert.equal(sut.createdOf(config()).getTime(), 0);
      assert.equal(sut.createdOf(config({ created: "yesterday" })).getTime(), 0);
    });
  });
});
