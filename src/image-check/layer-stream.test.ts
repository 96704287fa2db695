import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import zlib from "node:zlib";
import { isImageCheckError } from "./errors.js";
import * as sut from "./layer-stream.js";
import { compress, file, tarOf, zstdRawFrame } from "../../test/support/layers.js";

const hasZstd = sut.nodeZstdDecompress !== undefined;

async function drain(s: Readable): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** A blob arriving in pieces of `size` bytes, so the magic bytes straddle chunks. */
const blobOf = (buf: Buffer, size = 1) =>
  Readable.from((function* () {
    for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
  })(), { objectMode: false });

describe("detectCompression()", () => {
  describe("given the first bytes of a blob", () => {
    const cases: [string, number[], sut.LayerCompression][] = [
      ["gzip", [0x1f, 0x8b, 0x08, 0x00], "gzip"],
      ["zstd", [0x28, 0xb5, 0x2f, 0xfd, 0x04], "zstd"],
      ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "xz"],
      ["bzip2", [0x42, 0x5a, 0x68, 0x39], "bzip2"],
      ["a tar header", [...Buffer.from("etc/")], "none"],
      ["one byte of gzip magic", [0x1f], "none"],
      ["nothing", [], "none"],
    ];
    for (const [what, bytes, want] of cases) {
      it(`says ${want} for ${what}`, () => assert.equal(sut.detectCompression(Uint8Array.from(bytes)), want));
    }
  });
});

describe("openLayerTar()", () => {
  const tar = tarOf([file("opt/lib/modules/5.14/extra/a.ko", "x".repeat(5000))]);

  describe("given a gzip blob (delivered a byte at a time at first)", () => {
    it("yields the tar", async () => {
      const t = await tar;
      const gz = zlib.gzipSync(t);
      const blob = Readable.from([gz.subarray(0, 1), gz.subarray(1, 3), gz.subarray(3)], { objectMode: false });
      assert.deepEqual(await drain(sut.openLayerTar(blob)), t);
    });
  });

  describe("given an uncompressed tar labelled as anything", () => {
    it("yields it unchanged", async () => {
      const t = await tar;
      assert.deepEqual(await drain(sut.openLayerTar(blobOf(t, 100))), t);
    });
  });

  describe("given an empty blob", () => {
    it("yields nothing", async () => assert.equal((await drain(sut.openLayerTar(blobOf(Buffer.alloc(0))))).length, 0));
  });

  describe("given a zstd blob", () => {
    it("yields the tar on a Node with zstd", { skip: !hasZstd && `Node ${process.version} lacks zstd` }, async () => {
      const t = await tar;
      assert.deepEqual(await drain(sut.openLayerTar(blobOf(compress(t, "zstd"), 3))), t);
    });
    it("fails Unsupported on a Node without zstd", { skip: hasZstd && `Node ${process.version} has zstd` }, async () => {
      await assert.rejects(drain(sut.openLayerTar(blobOf(zstdRawFrame(await tar)))), (e) => isImageCheckError(e, "Unsupported"));
    });
    it("fails Corrupt for a damaged frame on a Node with zstd", { skip: !hasZstd && `Node ${process.version} lacks zstd` }, async () => {
      const bad = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 0xee)]);
      await assert.rejects(drain(sut.openLayerTar(blobOf(bad, 5))), (e) => isImageCheckError(e, "Corrupt") && /zstd/.test(e.message));
    });
    it("fails Unsupported when zstd is switched off", async () => {
      const blob = blobOf(zstdRawFrame(await tar));
      await assert.rejects(drain(sut.openLayerTar(blob, { zstd: null })), (e) => isImageCheckError(e, "Unsupported") && /zstd.*Node/.test(e.message));
      assert.ok(blob.destroyed, "the blob is released");
    });
  });

  describe("given xz or bzip2", () => {
    for (const magic of [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2], [0x42, 0x5a, 0x68, 0x39, 1, 2]]) {
      it(`fails Unsupported for ${magic.slice(0, 3).join(",")}`, async () => {
        await assert.rejects(drain(sut.openLayerTar(blobOf(Buffer.from(magic)))), (e) => isImageCheckError(e, "Unsupported"));
      });
    }
  });

  describe("given a corrupt gzip blob", () => {
    it("fails Corrupt for garbage after the magic", async () => {
      const bad = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 0xee)]);
      await assert.rejects(drain(sut.openLayerTar(blobOf(bad, 7))), (e) => isImageCheckError(e, "Corrupt") && /gzip/.test(e.message));
    });
    it("fails Corrupt for a truncated stream", async () => {
      const gz = zlib.gzipSync(await tar);
      await assert.rejects(drain(sut.openLayerTar(blobOf(gz.subarray(0, gz.length - 10), 50))), (e) => isImageCheckError(e, "Corrupt"));
    });
  });

  describe("given a blob that fails mid-stream", () => {
    it("passes the blob's own error through unchanged", async () => {
      const boom = new Error("connection reset");
      const blob = new Readable({
        read() {
          this.push(zlib.gzipSync(Buffer.alloc(1024)).subarray(0, 12));
          this.destroy(boom);
        },
      });
      await assert.rejects(drain(sut.openLayerTar(blob)), (e) => e === boom);
    });
  });

  describe("given a consumer that stops early", () => {
    it("destroys the blob", async () => {
      let served = 0;
      const blob = new Readable({
        read() {
          served++;
          this.push(Buffer.alloc(64 * 1024));
        },
      });
      const out = sut.openLayerTar(blob);
      for await (const _ of out) break;
      await new Promise((r) => setImmediate(r));
      assert.ok(blob.destroyed);
      assert.ok(served < 100, `read ${served} chunks of an endless blob`);
    });
  });
});
