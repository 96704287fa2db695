// Exponential backoff, the one formula behind every retry here: the registry client's retries, the
// informers' relists and the runner's work queue.

export interface BackoffOptions {
  /** Delay before the first retry. */
  readonly initialMs: number;
  /** Upper bound of any delay. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (0 for the first): `initialMs · 2^attempt`, capped at
 * `maxMs`. With `random` (returning [0, 1)), "equal jitter": a uniformly random point in the upper half,
 * so that clients that failed together do not come back together.
 */
export function backoffDelay(attempt: number, o: BackoffOptions, random?: () => number): number {
  const base = Math.min(o.maxMs, o.initialMs * 2 ** Math.min(Math.max(0, attempt), 52));
  return random ? Math.round(base / 2 + random() * (base / 2)) : base;
}

/**
 * Failures counted per key (client-go's ItemExponentialFailureRateLimiter): each failure of a key
 * doubles its next delay; `forget` resets it once the key succeeds or changes.
 */
export class PerKeyBackoff<K> {
  readonly #failures = new Map<K, number>();

  constructor(private readonly o: BackoffOptions, private readonly random?: () => number) {}

  /** Records one more failure of `key` and returns the delay before its retry. */
  next(key: K): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return backoffDelay(n, this.o, this.random);
  }

  /** Failures recorded for `key` since it was last forgotten. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: K): void {
    this.#failures.delete(key);
  }
}
