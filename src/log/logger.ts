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

/**
 * One JSON object per line with stable keys: level, time, msg, component, then the call's fields.
 * `msg` rather than winston's `message` because that is what log pipelines (Loki, Elastic) expect.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const format = winston.format.combine(
    winston.format.errors({ stack: false }),
    winston.format((info) => {
      const { level, message, ...rest } = info;
      return Object.assign(info, { level, time: new Date().toISOString(), msg: message, component: rest["component"] ?? "main" });
    })(),
    winston.format.printf((info) => {
      const { level, message: _m, time, msg, component, [Symbol.for("level")]: _l, [Symbol.for("message")]: _s, [Symbol.for("splat")]: _p, ...fields } = info as Record<string | symbol, unknown>;
      return JSON.stringify({ level, time, msg, component, ...fields });
    }),
  );
  return winston.createLogger({
    level: opts.level ?? "info",
    levels: winston.config.npm.levels,
    format,
    transports: [new winston.transports.Stream({ stream: opts.stream ?? process.stdout })],
  });
}
