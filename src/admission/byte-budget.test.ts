import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./byte-budget.js";

describe("createByteBudget()", () => {
  describe("given requests that fit", () => {
    it("starts them at once", () => {
      const b = sut.createByteBudget(10);
      const started: string[] = [];
      b.take(4, () => started.push("a"));
      b.take(6, () => started.push("b"));
      assert.deepEqual(started, ["a", "b"]);
      assert.equal(b.used, 10);
    });
  });

  describe("given a request that does not fit", () => {
    it("starts it, in order, once enough is given back", () => {
      const b = sut.createByteBudget(10);
      const started: string[] = [];
      const releaseA = b.take(8, () => started.push("a"));
      b.take(5, () => started.push("b"));
      b.take(1, () => started.push("c"));
      assert.deepEqual(started, ["a"], "c waits behind b: first come, first served");
      releaseA();
      assert.deepEqual(started, ["a", "b", "c"]);
      assert.equal(b.used, 6);
    });
  });

  describe("given a request larger than the whole budget", () => {
    it("runs it alone", () => {
      const b = sut.createByteBudget(10);
      const started: string[] = [];
      const releaseA = b.take(3, () => started.push("a"));
      const releaseBig = b.take(50, () => started.push("big"));
      assert.deepEqual(started, ["a"]);
      releaseA();
      assert.deepEqual(started, ["a", "big"]);
      releaseBig();
      assert.equal(b.used, 0);
    });
  });

  describe("tryTake()", () => {
    it("takes what fits now, refuses what does not or would jump the queue, and gives back once", () => {
      const b = sut.createByteBudget(10);
      const a = b.tryTake(6);
      assert.ok(a);
      assert.equal(b.tryTake(5), undefined, "6 + 5 is over 10");
      assert.equal(b.used, 6);
      const started: string[] = [];
      const releaseWaiting = b.take(5, () => started.push("waiting"));
      assert.equal(b.tryTake(1), undefined, "1 would fit, but a request waits ahead of it");
      a();
      a();
      assert.deepEqual(started, ["waiting"]);
      assert.equal(b.used, 5);
      releaseWaiting();
      assert.equal(b.used, 0);
      assert.ok(b.tryTake(50), "larger than the whole budget, and alone");
    });
  });

  describe("given a waiting request withdrawn (its client went away)", () => {
    it("never starts it, takes nothing for it, and gives back only once", () => {
      const b = sut.createByteBudget(10);
      const started: string[] = [];
      const releaseA = b.take(10, () => started.push("a"));
      const withdraw = b.take(5, () => started.push("gone"));
      withdraw();
      assert.equal(b.waiting, 0);
      releaseA();
      releaseA();
      assert.deepEqual(started, ["a"]);
      assert.equal(b.used, 0);
    });
  });
});
