import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as sut from "./layer-path.js";

describe("normalizeLayerPath()", () => {
  describe("given tar entry names", () => {
    const cases: [string, string | undefined][] = [
      ["opt/lib/modules/5.14/a.ko", "opt/lib/modules/5.14/a.ko"],
      ["./opt/lib/", "opt/lib"],
      ["/opt//lib///x", "opt/lib/x"],
      ["././opt/./x", "opt/x"],
      ["opt/a/../b", "opt/b"],
      ["./", ""],
      ["/", ""],
      ["", ""],
      ["...", "..."],
      ["a/.wh..wh..opq", "a/.wh..wh..opq"],
      ["../../etc/passwd", undefined],
      ["./../opt/x", undefined],
      ["opt/../../x", undefined],
    ];
    for (const [name, want] of cases) it(`${JSON.stringify(name)} → ${JSON.stringify(want)}`, () => assert.equal(sut.normalizeLayerPath(name), want));
  });
});

describe("resolveSymlinkTarget()", () => {
  describe("given relative and absolute targets", () => {
    const cases: [string, string, string][] = [
      ["lib", "usr/lib", "usr/lib"],
      ["opt/lib/modules/k", "../../../usr/lib/modules/k", "usr/lib/modules/k"],
      ["a/b", "/etc/x", "etc/x"],
      ["a/b", "../../../../etc", "etc"],
      ["a/b", "./c/", "a/c"],
    ];
    for (const [link, target, want] of cases) it(`${link} -> ${target} is ${want}`, () => assert.equal(sut.resolveSymlinkTarget(link, target), want));
  });
});

describe("classifyWhiteout()", () => {
  describe("given special names", () => {
    it("reads .wh.<name> as a whiteout of the sibling", () => assert.deepEqual(sut.classifyWhiteout("a/b/.wh.c"), { kind: "whiteout", target: "a/b/c" }));
    it("reads a top-level whiteout", () => assert.deepEqual(sut.classifyWhiteout(".wh.opt"), { kind: "whiteout", target: "opt" }));
    it("reads the opaque marker", () => assert.deepEqual(sut.classifyWhiteout("a/b/.wh..wh..opq"), { kind: "opaque", dir: "a/b" }));
    it("ignores AUFS bookkeeping", () => assert.deepEqual(sut.classifyWhiteout(".wh..wh.plnk/1.2"), { kind: "entry" }));
    it("ignores the AUFS dir itself", () => assert.deepEqual(sut.classifyWhiteout(".wh..wh.plnk"), { kind: "metadata" }));
    it("does not let .wh... name a parent", () => assert.deepEqual(sut.classifyWhiteout("a/.wh.."), { kind: "metadata" }));
    it("leaves ordinary names alone", () => assert.deepEqual(sut.classifyWhiteout("a/wh.b"), { kind: "entry" }));
  });
});

describe("isBelow()", () => {
  describe("given prefixes that are not directories", () => {
    it("does not take opt/lib/modules/5.14x as below opt/lib/modules/5.14", () => assert.equal(sut.isBelow("opt/lib/modules/5.14x/a", "opt/lib/modules/5.14"), false));
    it("takes every path as below the root", () => assert.equal(sut.isBelow("a", ""), true));
  });
});
