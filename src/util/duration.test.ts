import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./duration.js";

describe("parseDuration()", () => {
  describe("given Go-style durations", () => {
    const cases: [string, number][] = [["500ms", 500], ["90s", 90_000], ["10m", 600_000], ["1h30m", 5_400_000], ["1.5s", 1500], ["2h0m5s", 7_205_000]];
    for (const [text, ms] of cases) it(`reads ${text} as ${ms} ms`, () => assert.equal(sut.parseDuration(text), ms));
  });
  describe("given anything else", () => {
    for (const text of ["", "10", "-5s", "5 s", "5d", "0s", "s", "1h;rm", "--push"]) {
      it(`refuses ${JSON.stringify(text)}`, () => assert.equal(sut.parseDuration(text), undefined));
    }
  });
});
