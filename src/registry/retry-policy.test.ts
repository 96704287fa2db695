import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./retry-policy.js";

describe("parseRetryAfter()", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  describe("given delta-seconds", () => {
    it("converts to milliseconds", () => assert.equal(sut.parseRetryAfter("3", now), 3000));
  });
  describe("given an HTTP-date", () => {
    it("gives the time until then, never negative", () => {
      assert.equal(sut.parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
      assert.equal(sut.parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
    });
  });
  describe("given nothing usable", () => {
    it("returns undefined", () => {
      for (const v of [undefined, "", "soon", "-1", "1.5"]) assert.equal(sut.parseRetryAfter(v, now), undefined, String(v));
    });
  });
});
