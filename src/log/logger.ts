import winston from "winston";

export type Logger = winston.Logger;
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** @default "info" */
  readonly level?: LogLevel;
  /** Where JSON lines go. @default process.stdout */
  readonly stream?: NodeJS.WritableStream;
}

// winston keeps the rendered line under this symbol (triple-beam's MESSAGE).
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

export function createLogger(opts: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: opts.level ?? "info",
    levels: winston.config.npm.levels,
    format: jsonLine(),
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stdout })],
  });
}
