import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./build-args.js";

describe("overrideBuildArgs()", () => {
  describe("given overrides naming existing args", () => {
    it("replaces them in place", () => {
      assert.deepEqual(
        sut.overrideBuildArgs(
          [
            { name: "A", value: "1" },
            { name: "B", value: "2" },
          ],
          [{ name: "A", value: "x" }],
        ),
        [
          { name: "A", value: "x" },
          { name: "B", value: "2" },
        ],
      );
    });
  });

  describe("given overrides naming no existing arg", () => {
    it("appends them in sorted name order", () => {
      assert.deepEqual(
        sut.overrideBuildArgs(
          [{ name: "M", value: "1" }],
          [
            { name: "b", value: "lower" },
            { name: "Z", value: "z" },
            { name: "A", value: "a" },
          ],
        ),
        [
          { name: "M", value: "1" },
          { name: "A", value: "a" },
          { name: "Z", value: "z" },
          { name: "b", value: "lower" },
        ],
      );
    });
  });

  describe("given an override named twice", () => {
    it("uses the last one", () => {
      assert.deepEqual(
        sut.overrideBuildArgs(
          [],
          [
            { name: "A", value: "first" },
            { name: "A", value: "last" },
          ],
        ),
        [{ name: "A", value: "last" }],
      );
    });
  });
});
