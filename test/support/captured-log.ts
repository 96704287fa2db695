import { PassThrough } from "node:stream";
import { createLogger, type Logger } from "../../src/log/logger.js";

/** A debug-level logger whose JSON lines are parsed into `lines` as they are written. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on("data", (b: Buffer) => {
    for (const l of b.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
  });
  return { log: createLogger({ level: "debug", stream }), lines };
}
