import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import * as sut from "./logger.js";

function capture(level?: sut.LogLevel) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on("data", (b: Buffer) => {
    for (const l of b.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { log: sut.createLogger({ level, stream }), lines };
}

describe("createLogger()", () => {
  it("writes one JSON object per line with level, time, msg and component first", async () => {
    const { log, lines } = capture();
    log.child({ component: "admission" }).info("admitted", { uid: "u1", decision: "allowed" });
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.deepEqual(Object.keys(line!).slice(0, 4), ["level", "time", "msg", "component"]);
    assert.equal(line!["msg"], "admitted");
    assert.equal(line!["component"], "admission");
    assert.equal(line!["uid"], "u1");
    assert.ok(!Number.isNaN(Date.parse(String(line!["time"]))));
  });

  describe("given level warn", () => {
    it("drops info lines", async () => {
      const { log, lines } = capture("warn");
      log.info("hidden");
      log.warn("shown");
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(lines.map((l) => l["msg"]), ["shown"]);
    });
  });
});
