import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./terminal-text.js";

describe("escapeForTerminal()", () => {
  describe("given plain text, non-ASCII letters and backslashes", () => {
    it("returns it unchanged", () => {
      for (const s of ["image missing: registry.example.com/a:b", "Modul für Kernel 5.14 – ok", "C:\\path", ""]) assert.equal(sut.escapeForTerminal(s), s);
    });
  });

  describe("given control characters", () => {
    const cases: [string, string][] = [
      ["a\nb", "a\\nb"], ["a\r\tb", "a\\r\\tb"], ["\x1b[31mred", "\\x1b[31mred"], ["\x1b]0;title\x07", "\\x1b]0;title\\x07"],
      ["\x00\x7f", "\\x00\\x7f"], ["\u009b2J", "\\x9b2J"], ["abc\u202edef", "abc\\u202edef"], ["\u2066x\u2069", "\\u2066x\\u2069"], ["a\u2028b", "a\\u2028b"],
      ["a\u200eb", "a\\u200eb"], ["a\u200fb", "a\\u200fb"], ["a\u061cb", "a\\u061cb"],
    ];
    for (const [input, want] of cases) {
      it(`escapes ${JSON.stringify(input)}`, () => assert.equal(sut.escapeForTerminal(input), want));
    }
  });
});

describe("jsonForTerminal()", () => {
  describe("given strings with control characters", () => {
    const value = { reason: "a\x1b[2Jb\u009bc\u202ed\x7fe\n", list: ["\u2029", "\u200e", "\u200f", "\u061c"] };
    const text = sut.jsonForTerminal(value);

    it("holds none raw but the newlines of its indentation", () => {
      assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202e]/);
    });

    it("parses back to the same value", () => assert.deepEqual(JSON.parse(text), value));

    it("is indented as JSON.stringify(value, null, 2)", () => assert.equal(text.split("\n").length, JSON.stringify(value, null, 2).split("\n").length));
  });
});
