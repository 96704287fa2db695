import { type BackoffOptions, PerKeyBackoff } from "../util/backoff.js";
import { type Clock, systemClock } from "../util/clock.js";

// client-go's workqueue, small: a key is queued at most once, processed by one worker at a time (a
// key added while it is being processed runs once more afterwards), bursts are coalesced, delayed
// adds wait on the injected clock, and failures back off per key.

export interface WorkQueueOptions {
  /** A key added is processed after this quiet time, so a burst of watch events costs one reconcile. @default 100 */
  readonly debounceMs?: number;
  /** Delay after a failed reconcile of a key, doubling per failure in a row. @default { initialMs: 1000, maxMs: 300000 } */
  readonly failureBackoff?: BackoffOptions;
  readonly clock?: Clock;
}

/** What processing one key concluded: look again after a delay, or not (until something changes). */
export interface ProcessResult {
  readonly requeueAfterMs?: number;
}

export class WorkQueue<K> {
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #backoff: PerKeyBackoff<K>;
  /** Keys ready to process, in order. */
  readonly #ready: K[] = [];
  readonly #queued = new Set<K>();
  readonly #processing = new Set<K>();
  /** Added while processing: queued again when that finishes. */
  readonly #dirty = new Set<K>();
  /** The earliest pending timer per key (debounce or delay). */
  readonly #timers = new Map<K, { atMs: number; cancel: () => void }>();
  /** Callers waiting for a key's next processing to finish. */
  readonly #waiters = new Map<K, (() => void)[]>();
  #wake: (() => void) | undefined;
  #shutDown = false;

  constructor(o: WorkQueueOptions = {}) {
    this.#clock = o.clock ?? systemClock;
    this.#debounceMs = o.debounceMs ?? 100;
    this.#backoff = new PerKeyBackoff(o.failureBackoff ?? { initialMs: 1000, maxMs: 300_000 });
  }

  /** Keys waiting or being processed (the queue-depth metric). */
  get depth(): number {
    return new Set([...this.#queued, ...this.#timers.keys(), ...this.#dirty]).size;
  }

  /** Processes `key` soon (after the debounce), once however often it is added meanwhile. */
  add(key: K): void {
    this.addAfter(key, this.#debounceMs);
  }

  /** Processes `key` after `ms`, or sooner if it is added sooner. */
  addAfter(key: K, ms: number): void {
    if (this.#shutDown) return;
    if (ms <= 0) return this.#enqueue(key);
    const atMs = this.#clock.now() + ms;
    const t = this.#timers.get(key);
    if (t && t.atMs <= atMs) return;
    t?.cancel();
    this.#timers.set(key, { atMs, cancel: this.#clock.setTimer(() => {
      this.#timers.delete(key);
      this.#enqueue(key);
    }, ms) });
  }

  /** Adds `key` and resolves once a processing of it that started after this call has finished. */
  addAndWait(key: K): Promise<void> {
    return new Promise((resolve) => {
      const list = this.#waiters.get(key) ?? [];
      list.push(resolve);
      this.#waiters.set(key, list);
      this.#enqueue(key);
    });
  }

  /** Forgets the failures of `key` (it was deleted, or succeeded). */
  forget(key: K): void {
    this.#backoff.forget(key);
  }

  #enqueue(key: K): void {
    if (this.#shutDown) return;
    this.#timers.get(key)?.cancel();
    this.#timers.delete(key);
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#ready.push(key);
    this.#wake?.();
  }

  /**
   * Processes keys with `worker` until `signal` aborts (one at a time: reconciles of different
   * PreflightValidationOCPs share the cap on running Jobs). A thrown error backs the key off.
   */
  async run(worker: (key: K) => Promise<ProcessResult>, onError: (key: K, err: unknown, retryInMs: number) => void, signal: AbortSignal): Promise<void> {
    const stop = () => this.#wake?.();
    signal.addEventListener("abort", stop, { once: true });
    try {
      while (!signal.aborted && !this.#shutDown) {
        const key = this.#ready.shift();
        if (key === undefined) {
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = undefined;
          continue;
        }
        this.#queued.delete(key);
        this.#processing.add(key);
        const waiters = this.#waiters.get(key) ?? [];
        this.#waiters.delete(key);
        try {
          const r = await worker(key);
          this.#backoff.forget(key);
          if (r.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
        } catch (err) {
          const delay = this.#backoff.next(key);
          onError(key, err, delay);
          this.addAfter(key, delay);
        } finally {
          this.#processing.delete(key);
          for (const w of waiters) w();
          if (this.#dirty.delete(key)) this.#enqueue(key);
        }
      }
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  /** Drops every pending key and timer; waiters are released. */
  shutDown(): void {
    this.#shutDown = true;
    for (const t of this.#timers.values()) t.cancel();
    this.#timers.clear();
    this.#ready.length = 0;
    this.#queued.clear();
    this.#dirty.clear();
    for (const list of this.#waiters.values()) for (const w of list) w();
    this.#waiters.clear();
    this.#wake?.();
  }
}
