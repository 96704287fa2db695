import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import * as sut from "./json-equal.js";

const deep = (n: number, leaf: unknown) => JSON.parse(`${"[".repeat(n)}${JSON.stringify(leaf)}${"]".repeat(n)}`) as unknown;

describe("jsonEqual()", () => {
  describe("given JSON values", () => {
    const cases: [unknown, unknown][] = [
      [1, 1], [1, "1"], [0, -0], [null, null], [null, {}], [[], {}], ["a", "a"], [true, false],
      [{ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }], [{ a: 1, b: 2 }, { b: 2, a: 1 }], [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: undefined }, {}], [{ a: undefined }, { a: undefined }], [[1, 2], [2, 1]], [[1], [1, 1]],
      [JSON.parse('{"__proto__": {"x": 1}}'), JSON.parse('{"__proto__": {"x": 1}}')], [JSON.parse('{"__proto__": {"x": 1}}'), {}],
    ];
    for (const [a, b] of cases) {
      it(`agrees with isDeepStrictEqual on ${JSON.stringify(a)} and ${JSON.stringify(b)}`, () => {
        assert.equal(sut.jsonEqual(a, b), isDeepStrictEqual(a, b));
      });
    }
  });

  describe("given values nested past the stack (the API server allows 10000 levels)", () => {
    it("compares them", () => {
      assert.equal(sut.jsonEqual(deep(100_000, 1), deep(100_000, 1)), true);
      assert.equal(sut.jsonEqual(deep(100_000, 1), deep(100_000, 2)), false);
    });
  });
});
