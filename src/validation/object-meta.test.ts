import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "./field-error.js";
import { FieldPath } from "./field-path.js";
import * as sut from "./object-meta.js";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

describe("validateObjectMeta()", () => {
  const META = FieldPath.root("metadata");

  describe("given a valid name", () => {
    for (const name of ["preflight", "pfvo-4.16", "a", "a".repeat(253)]) {
      it(`accepts ${name.length > 30 ? `a name of ${name.length} characters` : name}`, () => {
        assert.deepEqual(sut.validateObjectMeta({ name }, META), []);
      });
    }
  });

  describe("given a name that is not a DNS subdomain", () => {
    const cases: [string, string][] = [
      ["254 characters", "a".repeat(254)],
      ["uppercase", "Preflight"],
      ["underscores", "pre_flight"],
      ["a leading dash", "-preflight"],
      ["a trailing dot", "preflight."],
      ["a space", "pre flight"],
    ];
    for (const [what, name] of cases) {
      it(`rejects a name with ${what} at metadata.name`, () => {
        const errs = sut.validateObjectMeta({ name }, META);
        assert.ok(errs.length >= 1);
        assert.deepEqual([...new Set(typesAndFields(errs).map((x) => x.join(" ")))], ["Invalid metadata.name"]);
        assert.equal(errs[0]!.badValue, name);
      });
    }
  });

  describe("given a name that is too long and malformed", () => {
    it("reports both problems", () => {
      assert.deepEqual(typesAndFields(sut.validateObjectMeta({ name: "A".repeat(254) }, META)), [
        ["Invalid", "metadata.name"],
        ["Invalid", "metadata.name"],
      ]);
    });
  });

  describe("given a non-string name", () => {
    it("rejects it at metadata.name", () => {
      assert.deepEqual(typesAndFields(sut.validateObjectMeta({ name: 42 }, META)), [["Invalid", "metadata.name"]]);
    });
  });

  describe("given generateName and no name", () => {
    it('accepts the prefix "pfvo-"', () => {
      assert.deepEqual(sut.validateObjectMeta({ generateName: "pfvo-" }, META), []);
    });

    it('accepts the prefix "pfvo-" when name is the empty string', () => {
      assert.deepEqual(sut.validateObjectMeta({ name: "", generateName: "pfvo-" }, META), []);
    });

    it("rejects an invalid prefix at metadata.generateName", () => {
      assert.deepEqual(typesAndFields(sut.validateObjectMeta({ generateName: "PFVO_" }, META)), [["Invalid", "metadata.generateName"]]);
    });
  });

  describe("given neither name nor generateName", () => {
    for (const meta of [{}, { name: "" }, { generateName: "" }, { name: "", generateName: "" }, { labels: { a: "b" } }]) {
      it(`reports Required metadata.name for ${JSON.stringify(meta)}`, () => {
        assert.deepEqual(typesAndFields(sut.validateObjectMeta(meta, META)), [["Required", "metadata.name"]]);
      });
    }
  });

  describe("given no metadata object", () => {
    for (const meta of [undefined, null, "preflight", []]) {
      it(`reports Required metadata for ${JSON.stringify(meta) ?? "undefined"}`, () => {
        assert.deepEqual(typesAndFields(sut.validateObjectMeta(meta, META)), [["Required", "metadata"]]);
      });
    }
  });

  describe("given a path other than metadata", () => {
    it("extends the caller's path", () => {
      assert.deepEqual(typesAndFields(sut.validateObjectMeta({ name: "Bad" }, FieldPath.root("items").index(3).child("metadata"))), [
        ["Invalid", "items[3].metadata.name"],
      ]);
    });
  });
});
