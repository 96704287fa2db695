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

  describe("given many Modules", () => {
    const many = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ ...result(`image does not contain m${i}.ko under /opt/lib/modules/5.14.0-1.el9.x86_64/`), name: `module-${i}`, path: `/opt/lib/modules/x/${i}.ko`, digest: `sha256:${"a".repeat(64)}` }));

    it("drops optional fields before it drops verdicts, and always fits", () => {
      const text = sut.terminationMessage({ results: many(40), errors: [] });
      assert.ok(Buffer.byteLength(text) <= sut.TERMINATION_MESSAGE_MAX_BYTES, `${Buffer.byteLength(text)} bytes`);
      const parsed = JSON.parse(text) as { results: { name: string; verificationStatus: string; digest?: string }[] };
      assert.equal(parsed.results.length, 40);
      assert.equal(parsed.results[39]!.name, "module-39");
      assert.equal(parsed.results[0]!.digest, undefined);
    });

    it("falls back to counts when even bare verdicts do not fit", () => {
      const text = sut.terminationMessage({ kernel: "k", results: many(400), errors: ["e"] });
      assert.ok(Buffer.byteLength(text) <= sut.TERMINATION_MESSAGE_MAX_BYTES);
      assert.deepEqual(JSON.parse(text), { kernel: "k", truncated: true, counts: { false: 400 }, errors: 1 });
    });
  });
});
