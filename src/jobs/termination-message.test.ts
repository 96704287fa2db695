import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./termination-message.js";

type ImageStageResult = sut.CheckResult;
const result = (reason: string): ImageStageResult => ({ namespace: "ns", name: "m", kernel: "5.14.0-1.el9.x86_64", verificationStatus: "false", reason, image: "quay.io/a/b:1" });

describe("terminationMessage()", () => {
  describe("given short results", () => {
    it("is their JSON, unchanged", () => {
      const r = [result("image does not exist")];
      assert.deepEqual(JSON.parse(sut.terminationMessage({ kernel: "5.14.0-1.el9.x86_64", results: r, errors: [] })), { version: 1, kernel: "5.14.0-1.el9.x86_64", results: r, errors: [] });
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
      assert.deepEqual(JSON.parse(text), { version: 1, kernel: "k", truncated: true, counts: { false: 400 }, errors: 1 });
    });
  });
});

describe("decodeTerminationMessage()", () => {
  describe("given what terminationMessage() wrote", () => {
    it("reads back the kernel and every result, shortened or not", () => {
      const r = [result("image does not exist"), { ...result("x".repeat(6000)), name: "m2" }];
      const d = sut.decodeTerminationMessage(sut.terminationMessage({ kernel: "5.14.0-1.el9.x86_64", results: r, errors: ["e"] }));
      assert.ok(d.ok);
      assert.equal(d.kernel, "5.14.0-1.el9.x86_64");
      assert.deepEqual(d.results.map((x) => [x.name, x.verificationStatus]), [["m", "false"], ["m2", "false"]]);
      assert.equal(d.results[0]!.reason, "image does not exist");
      assert.deepEqual(d.errors, ["e"]);
      assert.equal(d.truncated, false);
    });

    it("says so when only counts fit", () => {
      const many = Array.from({ length: 400 }, (_, i) => ({ ...result(`reason ${i}`), name: `module-with-a-long-name-${i}` }));
      const d = sut.decodeTerminationMessage(sut.terminationMessage({ kernel: "k", results: many, errors: [] }));
      assert.ok(d.ok);
      assert.equal(d.truncated, true);
      assert.deepEqual(d.results, []);
    });
  });

  describe("given a message of the first release (no version field)", () => {
    it("reads it as version 1", () => {
      const d = sut.decodeTerminationMessage(JSON.stringify({ kernel: "k", results: [result("r")], errors: [] }));
      assert.ok(d.ok);
      assert.equal(d.results.length, 1);
    });
  });

  describe("given something else", () => {
    for (const [what, text, pattern] of [
      ["nothing", "", /no termination message/],
      ["a panic", "Error: boom\n    at main", /not JSON: Error: boom/],
      ["an array", "[1]", /not a JSON object/],
      ["a future version", JSON.stringify({ version: 2, results: [] }), /version 2 is not one this runner reads/],
      ["a result without a verdict", JSON.stringify({ results: [{ namespace: "n", name: "m", reason: "r", verificationStatus: "maybe" }] }), /malformed results/],
    ] as const) {
      it(`rejects ${what} with a reason`, () => {
        const d = sut.decodeTerminationMessage(text);
        assert.equal(d.ok, false);
        assert.match((d as { error: string }).error, pattern);
      });
    }
  });
});
