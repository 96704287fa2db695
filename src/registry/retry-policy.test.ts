import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./retry-policy.js";

describe("backoffDelay()", () => {
  describe("given the extremes of the jitter", () => {
    it("stays within the upper half of the doubled delay", () => {
      const o = { initialMs: 100, maxMs: 10_000 };
      assert.deepEqual([0, 1, 2, 3].map((n) => sut.backoffDelay(n, () => 0, o)), [50, 100, 200, 400]);
      assert.deepEqual([0, 1, 2, 3].map((n) => sut.backoffDelay(n, () => 0.999999, o)), [100, 200, 400, 800]);
    });
  });

  describe("given many attempts", () => {
    it("never exceeds maxMs", () => {
      assert.equal(sut.backoffDelay(50, () => 0.999999, { initialMs: 100, maxMs: 1000 }), 1000);
    });
  });

  describe("given no options", () => {
    it("uses DEFAULT_BACKOFF", () => {
      assert.equal(sut.backoffDelay(0, () => 0.999999), sut.DEFAULT_BACKOFF.initialMs);
    });
  });
});

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
