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
  // Node's timers hold 2^31-1 ms (24.8 days) and run a longer one after 1 ms: a Module revalidated
  // monthly (--revalidate-after-seconds 2592000) was reconciled again and again, every millisecond.
  describe("given delays past what a Node timer holds", () => {
    const MONTH_MS = 30 * 24 * 3600 * 1000;

    it("setTimer() does not run the function early", async () => {
      let ran = 0;
      const cancel = sut.systemClock.setTimer(() => ran++, MONTH_MS);
      await new Promise((resolve) => setTimeout(resolve, 50));
      cancel();
      assert.equal(ran, 0);
    });

    it("sleep() does not resolve early, and still resolves when its signal aborts", async () => {
      const c = new AbortController();
      let done = false;
      const slept = sut.systemClock.sleep(MONTH_MS, c.signal).then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(done, false);
      c.abort();
      await slept;
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
