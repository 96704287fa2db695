import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./suggest.js";

const SPEC_FIELDS = ["releaseImage", "pushBuiltImage", "useRTKernel"] as const;

describe("closestName()", () => {
  describe("given a one-letter typo", () => {
    const cases: [string, string][] = [
      ["relaseImage", "releaseImage"],
      ["releaseImag", "releaseImage"],
      ["releaseImagee", "releaseImage"],
      ["pushBuildImage", "pushBuiltImage"],
      ["useRTKernal", "useRTKernel"],
    ];
    for (const [typed, want] of cases) {
      it(`suggests ${want} for ${typed}`, () => {
        assert.equal(sut.closestName(typed, SPEC_FIELDS), want);
      });
    }
  });

  describe("given a difference in case only", () => {
    it("suggests the correctly cased name", () => {
      assert.equal(sut.closestName("releaseimage", SPEC_FIELDS), "releaseImage");
      assert.equal(sut.closestName("useRtKernel", SPEC_FIELDS), "useRTKernel");
      assert.equal(sut.closestName("PushBuiltImage", SPEC_FIELDS), "pushBuiltImage");
    });
  });

  describe("given two transposed letters", () => {
    it("still suggests the name", () => {
      assert.equal(sut.closestName("relaeseImage", SPEC_FIELDS), "releaseImage");
    });
  });

  describe("given a name unlike any known one", () => {
    it("suggests nothing", () => {
      assert.equal(sut.closestName("foo", SPEC_FIELDS), undefined);
      assert.equal(sut.closestName("kernelVersion", SPEC_FIELDS), undefined);
      assert.equal(sut.closestName("x", SPEC_FIELDS), undefined);
    });
  });

  describe("given an empty typed name", () => {
    it("suggests nothing", () => {
      assert.equal(sut.closestName("", SPEC_FIELDS), undefined);
    });
  });

  describe("given no known names", () => {
    it("suggests nothing", () => {
      assert.equal(sut.closestName("releaseImage", []), undefined);
    });
  });

  describe("given several candidates", () => {
    it("picks the closest one", () => {
      assert.equal(sut.closestName("image", ["images", "imageX1", "name"]), "images");
    });
  });

  describe("given an exact match", () => {
    it("returns it", () => {
      assert.equal(sut.closestName("useRTKernel", SPEC_FIELDS), "useRTKernel");
    });
  });
});
