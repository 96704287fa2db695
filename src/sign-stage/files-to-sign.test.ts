import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./files-to-sign.js";

describe("filesToSign()", () => {
  describe("given files below dirName, one listed twice in another spelling", () => {
    it("gives each image path once", () => {
      const r = sut.filesToSign(["/opt/lib/modules/k/a.ko", "/opt/lib/modules/k/b.ko", "/opt//lib/modules/k/./a.ko"], "/opt");
      assert.deepEqual(r, { ok: true, files: [{ given: "/opt/lib/modules/k/a.ko", path: "opt/lib/modules/k/a.ko" }, { given: "/opt/lib/modules/k/b.ko", path: "opt/lib/modules/k/b.ko" }] });
    });
  });
  describe("given files outside dirName", () => {
    for (const f of ["/opt/../etc/shadow", "/optional/a.ko", "/opt", "opt/a.ko", "/etc/a.ko"]) {
      it(`refuses ${f}`, () => {
        const r = sut.filesToSign([f], "/opt");
        assert.equal(r.ok, false);
        if (!r.ok) assert.ok(r.reason.includes(JSON.stringify(f)), r.reason);
      });
    }
  });
  describe("given no files", () => {
    it("says there is nothing to sign", () => assert.equal(sut.filesToSign([], "/opt").ok, false));
  });
  describe("given dirName / (the image root)", () => {
    it("takes any absolute path", () => assert.equal(sut.filesToSign(["/lib/modules/k/a.ko"], "/").ok, true));
  });
});
