// Pure retry arithmetic of the registry client: its backoff (src/util/backoff.ts, with jitter) and Retry-After.
import type { BackoffOptions } from "../util/backoff.js";

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 8000 };

/** Retry-After in milliseconds: delta-seconds or an HTTP-date relative to `nowMs`. Undefined when absent or unparseable. */
export function parseRetryAfter(value: string | readonly string[] | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (v === undefined || v === "") return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT") always has letters; Date.parse alone would take "-1" as a year.
  if (!/^[A-Za-z]{3},/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
