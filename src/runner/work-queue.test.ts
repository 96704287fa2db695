import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../test/support/fake-clock.js";
import * as sut from "./work-queue.js";

/** A queue on a fake clock with a worker that records keys and can be told what to answer. */
function harness(answer: (key: string, n: number) => sut.ProcessResult | Error = () => ({})) {
  const clock = new FakeClock();
  const q = new sut.WorkQueue<string>({ clock, debounceMs: 100, failureBackoff: { initialMs: 1000, maxMs: 4000 } });
  const seen: string[] = [];
  const errors: [string, number][] = [];
  let gate: Promise<void> | undefined;
  const stop = new AbortController();
  const done = q.run(
    async (key) => {
      seen.push(key);
      await gate;
      const a = answer(key, seen.filter((k) => k === key).length);
      if (a instanceof Error) throw a;
      return a;
    },
    (key, _err, retryInMs) => errors.push([key, retryInMs]),
    stop.signal,
  );
  return {
    clock, q, seen, errors,
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
    stop: async () => {
      stop.abort();
      await done;
    },
  };
}

describe("WorkQueue", () => {
  describe("given a burst of adds", () => {
    it("processes the key once, after the debounce", async () => {
      const h = harness();
      for (let i = 0; i < 5; i++) h.q.add("a");
      h.q.add("b");
      await h.clock.advance(99);
      assert.deepEqual(h.seen, []);
      await h.clock.advance(1);
      assert.deepEqual(h.seen, ["a", "b"]);
      assert.equal(h.q.depth, 0);
      await h.stop();
    });
  });

  describe("given a key added while it is processed", () => {
    it("processes it once more afterwards, never twice at once", async () => {
      const h = harness();
      const release = h.hold();
      h.q.addAfter("a", 0);
      await h.clock.advance(0);
      assert.deepEqual(h.seen, ["a"]);
      h.q.addAfter("a", 0);
      h.q.addAfter("a", 0);
      await h.clock.advance(0);
      assert.deepEqual(h.seen, ["a"], "not while the first is running");
      release();
      await h.clock.advance(0);
      assert.deepEqual(h.seen, ["a", "a"]);
      await h.stop();
    });
  });

  describe("given a worker that asks to look again later", () => {
    it("processes the key again after that delay; an earlier add wins", async () => {
      const h = harness((_key, n) => (n === 1 ? { requeueAfterMs: 5000 } : {}));
      h.q.addAfter("a", 0);
      await h.clock.advance(4999);
      assert.deepEqual(h.seen, ["a"]);
      await h.clock.advance(1);
      assert.deepEqual(h.seen, ["a", "a"]);
      await h.stop();
    });
  });

  describe("given a worker that fails", () => {
    it("retries with a backoff that doubles per failure, capped, and resets after a success", async () => {
      const h = harness((_key, n) => (n <= 4 ? new Error(`fail ${n}`) : {}));
      h.q.addAfter("a", 0);
      await h.clock.advance(20_000);
      assert.deepEqual(h.errors, [["a", 1000], ["a", 2000], ["a", 4000], ["a", 4000]]);
      assert.equal(h.seen.length, 5);
      await h.stop();
    });
  });

  describe("addAndWait()", () => {
    it("resolves once a processing that started after the call has finished", async () => {
      const h = harness();
      const release = h.hold();
      h.q.addAfter("a", 0);
      await h.clock.advance(0);
      let resolved = false;
      const waited = h.q.addAndWait("a").then(() => (resolved = true));
      release();
      await h.clock.advance(0);
      await waited;
      assert.equal(resolved, true);
      assert.deepEqual(h.seen, ["a", "a"], "the wait covered a processing that started after it");
      await h.stop();
    });
  });

  describe("shutDown()", () => {
    it("drops pending keys and timers and ends run()", async () => {
      const h = harness();
      h.q.addAfter("a", 10_000);
      h.q.shutDown();
      await h.clock.advance(20_000);
      assert.deepEqual(h.seen, []);
      assert.equal(h.clock.pending, 0);
      await h.stop();
    });
  });
});
