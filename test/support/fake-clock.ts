import type { Clock } from "../../src/util/clock.js";

/**
 * A clock that moves only when told (k8s.io/utils/clock/testing's FakeClock): `advance` runs the timers
 * that fall due, in order, letting the promises they resolve settle between them.
 */
export class FakeClock implements Clock {
  #now = 0;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(private readonly wallStartMs = Date.parse("2026-01-01T00:00:00Z")) {}

  now(): number {
    return this.#now;
  }

  wallNow(): Date {
    return new Date(this.wallStartMs + this.#now);
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = this.#seq++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return () => this.#timers.delete(id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const cancel = this.setTimer(resolve, ms);
      signal?.addEventListener("abort", () => (cancel(), resolve()), { once: true });
    });
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running each timer that falls due at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      await settle();
      const due = [...this.#timers].filter(([, t]) => t.at <= end).sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets pending promise callbacks (and the I/O callbacks already queued) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
