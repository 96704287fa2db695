import { PassThrough } from "node:stream";
import { createLogger, type Logger } from "../../src/log/logger.js";

/** A real debug-level logger whose JSON lines land in `lines` (as raw strings), for asserting on what was logged. */
export function captureLog(lines: string[]): Logger {
  const stream = new PassThrough();
  stream.on("data", (b: Buffer) => lines.push(...b.toString().split("\n").filter(Boolean)));
  return createLogger({ stream, level: "debug" });
}
