import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./manifest.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));
const descriptor = (c: string, size = 10, mediaType: string = sut.MEDIA_TYPES.ociLayerGzip) => ({ mediaType, digest: D(c), size });

describe("digestOf()", () => {
  describe("given bytes", () => {
    it("gives the sha256 of exactly those bytes", () => {
      assert.equal(sut.digestOf(Buffer.from("")), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    });
  });
});

describe("parseManifest()", () => {
  describe("given an OCI image manifest", () => {
    it("returns config and layers in order", () => {
      const m = { schemaVersion: 2, mediaType: sut.MEDIA_TYPES.ociManifest, config: descriptor("c", 5, sut.MEDIA_TYPES.ociConfig), layers: [descriptor("a"), descriptor("b")] };
      const r = sut.parseManifest(bytes(m), sut.MEDIA_TYPES.ociManifest);
      assert.ok(r.ok && r.kind === "image");
      assert.equal(r.manifest.config.digest, D("c"));
      assert.deepEqual(r.manifest.layers.map((l) => l.digest), [D("a"), D("b")]);
    });
  });

  describe("given a Docker v2 manifest identified only by Content-Type", () => {
    it("takes the media type from the header", () => {
      const m = { schemaVersion: 2, config: descriptor("c"), layers: [] };
      const r = sut.parseManifest(bytes(m), `${sut.MEDIA_TYPES.dockerManifest}; charset=utf-8`);
      assert.ok(r.ok && r.kind === "image");
      assert.equal(r.manifest.mediaType, sut.MEDIA_TYPES.dockerManifest);
    });
  });

  describe("given an OCI manifest without mediaType and a generic Content-Type", () => {
    it("infers the type from the shape", () => {
      const r = sut.parseManifest(bytes({ schemaVersion: 2, config: descriptor("c"), layers: [] }), "application/json");
      assert.ok(r.ok && r.kind === "image");
      assert.equal(r.manifest.mediaType, sut.MEDIA_TYPES.ociManifest);
    });
  });

  describe("given a Docker manifest list", () => {
    it("returns the entries with their platforms", () => {
      const m = {
        schemaVersion: 2,
        mediaType: sut.MEDIA_TYPES.dockerManifestList,
        manifests: [
          { ...descriptor("a", 1, sut.MEDIA_TYPES.dockerManifest), platform: { os: "linux", architecture: "amd64" } },
          { ...descriptor("b", 1, sut.MEDIA_TYPES.dockerManifest), platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        ],
      };
      const r = sut.parseManifest(bytes(m), sut.MEDIA_TYPES.dockerManifestList);
      assert.ok(r.ok && r.kind === "index");
      assert.deepEqual(r.manifests.map((e) => e.platform), [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }]);
    });
  });

  describe("given problems", () => {
    const cases: [string, Uint8Array, string | undefined, "Corrupt" | "Unsupported"][] = [
      ["not JSON", Buffer.from("{"), undefined, "Corrupt"],
      ["a JSON array", bytes([]), undefined, "Corrupt"],
      ["schema 1", bytes({ schemaVersion: 1, name: "x", tag: "y", fsLayers: [] }), sut.MEDIA_TYPES.dockerManifestV1Signed, "Unsupported"],
      ["an unknown media type", bytes({ schemaVersion: 2, mediaType: "application/vnd.example+json" }), "application/vnd.example+json", "Unsupported"],
      ["a missing layers list", bytes({ schemaVersion: 2, mediaType: sut.MEDIA_TYPES.ociManifest, config: descriptor("c") }), undefined, "Corrupt"],
      ["a negative size", bytes({ schemaVersion: 2, mediaType: sut.MEDIA_TYPES.ociManifest, config: { ...descriptor("c"), size: -1 }, layers: [] }), undefined, "Corrupt"],
      ["a malformed digest", bytes({ schemaVersion: 2, mediaType: sut.MEDIA_TYPES.ociManifest, config: { ...descriptor("c"), digest: "sha256:zz" }, layers: [] }), undefined, "Corrupt"],
      ["another digest algorithm", bytes({ schemaVersion: 2, mediaType: sut.MEDIA_TYPES.ociManifest, config: { ...descriptor("c"), digest: "blake3:abcd" }, layers: [] }), undefined, "Unsupported"],
      ["an index entry that is not an object", bytes({ schemaVersion: 2, mediaType: sut.MEDIA_TYPES.ociIndex, manifests: [1] }), undefined, "Corrupt"],
    ];
    for (const [name, input, contentType, problem] of cases) {
      it(`reports ${problem} for ${name}`, () => {
        const r = sut.parseManifest(input, contentType);
        assert.ok(!r.ok);
        assert.equal(r.problem, problem);
      });
    }
  });
});

describe("selectPlatform()", () => {
  const entry = (c: string, platform?: sut.Platform): sut.IndexEntry => ({ ...descriptor(c, 1, sut.MEDIA_TYPES.ociManifest), ...(platform && { platform }) });
  const index = [
    entry("a", { os: "linux", architecture: "amd64" }),
    entry("b", { os: "linux", architecture: "arm", variant: "v6" }),
    entry("c", { os: "linux", architecture: "arm", variant: "v7" }),
    entry("d", { os: "linux", architecture: "arm64" }),
    entry("e", { os: "unknown", architecture: "unknown" }),
    entry("f"),
  ];

  describe("given linux/amd64", () => {
    it("picks the amd64 entry", () => assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "amd64" })?.digest, D("a")));
  });

  describe("given an alias like x86_64 or aarch64", () => {
    it("normalizes it", () => {
      assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "x86_64" })?.digest, D("a"));
      assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "aarch64" })?.digest, D("d"));
    });
  });

  describe("given a variant", () => {
    it("requires it, treating the default variant as equal to none", () => {
      assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "arm", variant: "v6" })?.digest, D("b"));
      assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "arm64", variant: "v8" })?.digest, D("d"));
      assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "arm", variant: "v5" }), undefined);
    });
  });

  describe("given no variant for an architecture with several", () => {
    it("prefers the default variant", () => assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "arm" })?.digest, D("c")));
  });

  describe("given a platform the index lacks", () => {
    it("returns undefined", () => assert.equal(sut.selectPlatform(index, { os: "linux", architecture: "s390x" }), undefined));
  });
});

describe("parsePlatform()", () => {
  describe("given os/arch[/variant]", () => {
    it("splits it", () => {
      assert.deepEqual(sut.parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64", variant: "v8" });
      assert.deepEqual(sut.parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
    });
  });
  describe("given something else", () => {
    it("returns undefined", () => {
      for (const s of ["linux", "linux/", "a/b/c/d", ""]) assert.equal(sut.parsePlatform(s), undefined, s);
    });
  });
});
