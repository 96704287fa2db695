import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./map-limit.js";

describe("mapLimit()", () => {
  it("keeps input order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await sut.mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
    assert.equal(peak, 2);
  });

  it("rejects with the first failure", async () => {
    await assert.rejects(sut.mapLimit([1, 2], 4, async (n) => { if (n === 2) throw new Error("boom"); return n; }), /boom/);
  });
});
