import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ImageStageResult } from "./image-stage.js";
import * as sut from "./report.js";

const result = (reason: string): ImageStageResult => ({ namespace: "ns", name: "m", kernel: "5.14.0-1.el9.x86_64", verificationStatus: "false", reason, image: "quay.io/a/b:1" });

describe("terminationMessage()", () => {
  describe("given short results", () => {
    it("is their JSON, unchanged", () => {
      const r = [result("image does not exist")];
      assert.deepEqual(JSON.parse(sut.terminationMessage({ kernel: "5.14.0-1.el9.x86_64", results: r, errors: [] })), { kernel: "5.14.0-1.el9.x86_64", results: r, errors: [] });
    });
  });

  describe("given reasons too long for 4096 bytes", () => {
    it("shortens the reasons to fit and keeps every other field", () => {
      const r = [result("x".repeat(5000)), result("ü".repeat(3000))];
      const text = sut.terminationMessage({ results: r, errors: ["e".repeat(2000)] });
      assert.ok(Buffer.byteLength(text) <= sut.TERMINATION_MESSAGE_MAX_BYTES);
      const parsed = (JSON.parse(text) as { results: ImageStageResult[]; errors: string[] }).results;
      assert.equal(parsed.length, 2);
      assert.ok(parsed[0]!.reason.endsWith("…"));
      assert.deepEqual({ ...parsed[1], reason: "" }, { ...r[1], reason: "" });
    });
  });
});
