import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Writable } from "node:stream";
import { LineSink, MAX_BATCH_CHARS } from "./line-sink.js";

function recorder() {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      writes.push(chunk.toString());
      cb();
    },
  });
  return { stream, writes };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe("LineSink", () => {
  describe("with batch", () => {
    it("writes the lines of one event-loop turn as one chunk, in order, at the end of the turn", async () => {
      const { stream, writes } = recorder();
      const sink = new LineSink(stream, { batch: true });
      sink.write("a");
      sink.write("b");
      assert.deepEqual(writes, [], "nothing is written during the turn");
      await nextTurn();
      assert.deepEqual(writes, ["a\nb\n"]);
      sink.write("c");
      await nextTurn();
      assert.deepEqual(writes, ["a\nb\n", "c\n"]);
    });

    it("writes early once a turn's lines reach MAX_BATCH_CHARS", () => {
      const { stream, writes } = recorder();
      const sink = new LineSink(stream, { batch: true });
      const line = "x".repeat(1023);
      for (let i = 0; i < MAX_BATCH_CHARS / 1024; i++) sink.write(line);
      assert.equal(writes.length, 1);
      assert.equal(writes[0]!.length, MAX_BATCH_CHARS);
    });

    it("flush() writes what is pending once; a later flush has nothing to write", async () => {
      const { stream, writes } = recorder();
      const sink = new LineSink(stream, { batch: true });
      sink.write("a");
      sink.flush();
      sink.flush();
      await nextTurn();
      assert.deepEqual(writes, ["a\n"]);
    });
  });

  it("without batch, writes each line as it comes", () => {
    const { stream, writes } = recorder();
    const sink = new LineSink(stream, { batch: false });
    sink.write("a");
    sink.write("b");
    assert.deepEqual(writes, ["a\n", "b\n"]);
  });

  describe("in a process logging to stdout", () => {
    const run = (script: string) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `import { createLogger } from "./src/log/logger.ts";\n${script}`], (_err, stdout) =>
          resolve({ code: child.exitCode, stdout }),
        );
      });
    const msgs = (stdout: string) => stdout.split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { msg: string }).msg);

    it("keeps the lines logged just before process.exit()", async () => {
      const r = await run(`const log = createLogger(); log.info("one"); log.warn("two"); process.exit(3);`);
      assert.equal(r.code, 3);
      assert.deepEqual(msgs(r.stdout), ["one", "two"]);
    });

    it("keeps the lines logged just before an uncaught exception", async () => {
      const r = await run(`const log = createLogger(); log.error("before the crash"); throw new Error("boom");`);
      assert.equal(r.code, 1);
      assert.deepEqual(msgs(r.stdout), ["before the crash"]);
    });
  });
});
