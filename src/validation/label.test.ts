import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FieldPath } from "./field-path.js";
import * as sut from "./label.js";

describe("isQualifiedName()", () => {
  describe("given valid keys", () => {
    for (const k of ["node-role.kubernetes.io/worker", "gpu", "A_b.c-9", "example.com/MyName", "x".repeat(63), `${"a".repeat(253)}/x`]) {
      it(`accepts ${k.length > 40 ? `${k.slice(0, 20)}… (${k.length})` : k}`, () => assert.deepEqual(sut.isQualifiedName(k), []));
    }
  });

  describe("given invalid keys", () => {
    const cases: [string, string, RegExp][] = [
      ["an empty name", "", /^name part must be non-empty$/],
      ["an empty prefix", "/gpu", /^prefix part must be non-empty$/],
      ["an uppercase prefix", "Example.com/gpu", /^prefix part a lowercase RFC 1123 subdomain/],
      ["two slashes", "a/b/c", /^a qualified name must consist/],
      ["a name over 63 characters", "x".repeat(64), /^name part must be no more than 63 characters$/],
      ["a leading dash", "-gpu", /^name part must consist/],
      ["a trailing dot", "gpu.", /^name part must consist/],
      ["a space", "my gpu", /^name part must consist/],
    ];
    for (const [what, key, msg] of cases) {
      it(`reports ${what}`, () => {
        const msgs = sut.isQualifiedName(key);
        assert.equal(msgs.length, 1, msgs.join("\n"));
        assert.match(msgs[0]!, msg);
      });
    }
  });
});

describe("isValidLabelValue()", () => {
  for (const v of ["", "true", "my_value", "1.2.3", "x".repeat(63)]) {
    it(`accepts ${JSON.stringify(v.length > 20 ? `${v.slice(0, 10)}…` : v)}`, () => assert.deepEqual(sut.isValidLabelValue(v), []));
  }
  it("reports a value over 63 characters", () => assert.match(sut.isValidLabelValue("x".repeat(64))[0]!, /no more than 63/));
  for (const v of ["-x", "x-", "a b", "a/b", "ü"]) {
    it(`reports ${JSON.stringify(v)}`, () => assert.match(sut.isValidLabelValue(v)[0]!, /^a valid label must be an empty string or consist of/));
  }
});

describe("validateLabelMap()", () => {
  const P = FieldPath.root("spec", "selector");
  it("accepts a node selector as people write them, and nothing", () => {
    assert.deepEqual(sut.validateLabelMap({ "node-role.kubernetes.io/worker": "", "feature.node.kubernetes.io/pci-10de.present": "true" }, P), []);
    assert.deepEqual(sut.validateLabelMap(undefined, P), []);
  });
  it("reports each bad key and value at its key", () => {
    const errs = sut.validateLabelMap({ "bad key": "x", good: "bad value", other: 5 }, P);
    assert.deepEqual(errs.map((e) => [e.type, e.field]), [
      ["Invalid", "spec.selector[bad key]"],
      ["Invalid", "spec.selector[good]"],
      ["Invalid", "spec.selector[other]"],
    ]);
  });
  it("reports a list as Invalid at the map", () => {
    assert.deepEqual(sut.validateLabelMap(["a"], P).map((e) => [e.type, e.field]), [["Invalid", "spec.selector"]]);
  });
});
