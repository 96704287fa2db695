import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import * as sut from "./logger.js";

function capture(level?: sut.LogLevel, batch?: boolean) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let writes = 0;
  stream.on("data", (b: Buffer) => {
    writes++;
    for (const l of b.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { log: sut.createLogger({ level, stream, batch }), lines, writes: () => writes };
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

  it("honours a level changed at run time, and a child's metadata, which a call's fields override", () => {
    const { log, lines } = capture("info");
    const child = log.child({ component: "kube", pod: "a" });
    child.debug("hidden");
    log.level = "debug";
    child.debug("shown", { pod: "b" });
    assert.deepEqual(
      lines.map((l) => [l["level"], l["msg"], l["component"], l["pod"]]),
      [["debug", "shown", "kube", "b"]],
    );
  });

  it("keeps winston's message concatenation and error fields", () => {
    const { log, lines } = capture();
    log.error("could not read", new Error("ECONNREFUSED"));
    assert.equal(lines[0]!["msg"], "could not read ECONNREFUSED");
    assert.match(String(lines[0]!["stack"]), /Error: ECONNREFUSED/);
  });

  describe("given batch", () => {
    it("writes a turn's lines in one write, and flushes them on end()", async () => {
      const { log, lines, writes } = capture("info", true);
      for (let i = 0; i < 5; i++) log.info(`line ${i}`);
      assert.equal(lines.length, 0);
      await new Promise((r) => setImmediate(r));
      assert.equal(writes(), 1);
      assert.deepEqual(lines.map((l) => l["msg"]), ["line 0", "line 1", "line 2", "line 3", "line 4"]);
      log.info("last");
      await new Promise<void>((resolve) => {
        log.on("finish", resolve);
        log.end();
      });
      assert.equal(lines.at(-1)!["msg"], "last");
    });
  });
});
