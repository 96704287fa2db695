import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { image } from "../../test/support/layers.js";
import { readResolvedFileFromLayers } from "../image-check/layered-fs.js";
import * as sut from "./signed-layer.js";

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("buildLayer()", () => {
  const files: sut.LayerFile[] = [
    { path: "opt/lib/modules/k/b.ko", body: Buffer.from("B"), mode: 0o600 },
    { path: "opt/lib/modules/k/a.ko", body: Buffer.from("A") },
  ];
  describe("given files in any order", () => {
    it("gives the same blob for the same files (reproducible), whatever their order", async () => {
      const one = await sut.buildLayer(files, new Date(0));
      const two = await sut.buildLayer([...files].reverse(), new Date(0));
      assert.deepEqual(one, two);
      assert.equal(one.digest, sha(one.blob));
      assert.equal(one.diffId, sha(gunzipSync(one.blob)));
    });
    it("holds each file with its mode, readable as an image layer", async () => {
      const layer = await sut.buildLayer(files, new Date("2026-01-01T00:00:00Z"));
      const got = await readResolvedFileFromLayers(image(layer.blob), "opt/lib/modules/k/b.ko");
      assert.deepEqual([got?.body.toString(), got?.resolved.mode], ["B", 0o600]);
      assert.equal((await readResolvedFileFromLayers(image(layer.blob), "opt/lib/modules/k/a.ko"))?.resolved.mode, 0o644);
    });
  });
});
