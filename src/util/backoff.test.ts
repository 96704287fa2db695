import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as sut from "./backoff.js";

describe("backoffDelay()", () => {
  const o = { initialMs: 100, maxMs: 1000 };
  describe("given no random source", () => {
    it("doubles from initialMs and stops at maxMs", () => {
      assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => sut.backoffDelay(n, o)), [100, 200, 400, 800, 1000, 1000]);
    });
    it("treats a negative attempt as the first and survives absurd attempts", () => {
      assert.equal(sut.backoffDelay(-3, o), 100);
      assert.equal(sut.backoffDelay(10_000, o), 1000);
    });
  });
  describe("given a random source", () => {
    it("picks a point in the upper half of the delay (equal jitter)", () => {
      assert.deepEqual([0, 1, 2].map((n) => sut.backoffDelay(n, o, () => 0)), [50, 100, 200]);
      assert.deepEqual([0, 1, 2].map((n) => sut.backoffDelay(n, o, () => 0.999999)), [100, 200, 400]);
    });
  });
});

describe("PerKeyBackoff", () => {
  it("doubles per key independently and restarts after forget()", () => {
    const b = new sut.PerKeyBackoff<string>({ initialMs: 10, maxMs: 50 });
    assert.deepEqual([b.next("a"), b.next("a"), b.next("b"), b.next("a"), b.next("a")], [10, 20, 10, 40, 50]);
    assert.equal(b.failures("a"), 4);
    b.forget("a");
    assert.equal(b.failures("a"), 0);
    assert.equal(b.next("a"), 10);
    assert.equal(b.next("b"), 20);
  });
});
