import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as sut from "./clock.js";

describe("systemClock", () => {
  describe("sleep()", () => {
    it("resolves after the delay, measured on the monotonic clock", async () => {
      const start = sut.systemClock.now();
      await sut.systemClock.sleep(30);
      assert.ok(sut.systemClock.now() - start >= 29);
    });
    it("resolves at once when the signal aborts, and when it was already aborted", async () => {
      const c = new AbortController();
      const start = sut.systemClock.now();
      const slept = sut.systemClock.sleep(60_000, c.signal);
      c.abort();
      await slept;
      await sut.systemClock.sleep(60_000, AbortSignal.abort());
      assert.ok(sut.systemClock.now() - start < 5_000);
    });
  });
  describe("setTimer()", () => {
    it("runs once, and not at all when cancelled", async () => {
      const ran: string[] = [];
      sut.systemClock.setTimer(() => ran.push("a"), 5);
      sut.systemClock.setTimer(() => ran.push("b"), 5)();
      await new Promise((resolve) => setTimeout(resolve, 30));
      assert.deepEqual(ran, ["a"]);
    });
  });
});
