// Pure retry arithmetic: exponential backoff with jitter, and Retry-After.

export interface BackoffOptions {
  /** Delay before the first retry. @default 250 */
  readonly initialMs?: number;
  /** Upper bound of any backoff delay. @default 8000 */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 8000 } as const;

/**
 * The delay before retry number `attempt` (0 for the first retry): `initialMs · 2^attempt`, capped at `maxMs`,
 * with "equal jitter" (a uniformly random point in its upper half) so that clients that failed together
 * do not come back together. `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, random: () => number, o: BackoffOptions = {}): number {
  const initial = o.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const max = o.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt));
  return Math.round(base / 2 + random() * (base / 2));
}

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
