import winston from "winston";
import { LineSink } from "./line-sink.js";

export type Logger = winston.Logger;
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** @default "info" */
  readonly level?: LogLevel;
  /** Where JSON lines go. @default process.stdout */
  readonly stream?: NodeJS.WritableStream;
  /**
   * Write each event-loop turn's lines as one chunk (see LineSink). Off for a given stream, whose reader
   * (a test, a CLI) expects a line as soon as it is logged. @default true without `stream`, else false
   */
  readonly batch?: boolean;
}

// winston keeps the level and the rendered line under these symbols (triple-beam's LEVEL and MESSAGE).
const LEVEL = Symbol.for("level");
const MESSAGE = Symbol.for("message");

/**
 * One JSON object per line with stable keys first: level, time, msg, component, then the call's
 * fields. `msg` rather than winston's `message` because that is what log pipelines (Loki, Elastic)
 * expect. One format step, not a chain: this runs once per admission request.
 */
const jsonLine = winston.format((info) => {
  const { level, message, component, ...fields } = info;
  (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify({ level, time: new Date().toISOString(), msg: message, component: component ?? "main", ...fields });
  return info;
});

type Info = winston.Logform.TransformableInfo & { [LEVEL]?: string; [MESSAGE]?: string };

/**
 * winston's API, levels, child metadata and format, without its stream plumbing between the logger
 * and the output. A winston logger is an object-mode Transform piped into transport streams: each line
 * takes several process.nextTick hops and, with the Stream transport, a setImmediate, and costs a
 * write(2) of its own. On the admission path (one line per request) that was 20-25% of throughput
 * (docs/adr/0010-log-lines-skip-winstons-streams.md). Here the root logger's `write`, which every
 * `log`/`info`/child call ends in, filters by level, formats and hands the line to a sink that, on stdout,
 * writes each event-loop turn's lines at once.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const sink = new LineSink(opts.stream ?? process.stdout, { batch: opts.batch ?? opts.stream === undefined });
  const logger = winston.createLogger({ level: opts.level ?? "info", levels: winston.config.npm.levels, format: jsonLine() });
  const write = function (this: Logger, info: Info, ...rest: unknown[]): boolean {
    const levels = this.levels;
    const wanted = levels[info[LEVEL] ?? info.level];
    if (wanted !== undefined && wanted <= (levels[this.level] ?? -1)) {
      const out = this.format.transform(info, (this.format as { options?: object }).options) as Info | false;
      if (out && out[MESSAGE] !== undefined) sink.write(out[MESSAGE]);
    }
    const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    done?.();
    return true;
  };
  Object.defineProperty(logger, "write", { value: write, writable: true, configurable: true });
  // `end()` (the CLI's last step before exiting) flushes what this turn logged.
  logger.on("finish", () => sink.flush());
  return logger;
}
