import { performance } from "node:perf_hooks";

// Time, injected wherever it decides behaviour (leader election, caches, retries, certificate reload,
// the runner), so tests can move it instead of waiting for it.

export interface Clock {
  /**
   * Monotonic milliseconds from an arbitrary origin: for intervals, deadlines and ages. A wall-clock
   * step (NTP, a VM resumed) never moves it, so nothing measured with it can expire early or late.
   */
  now(): number;
  /** Wall-clock time: only for timestamps written for people and other processes (lastTransitionTime, Lease times). */
  wallNow(): Date;
  /** Runs `fn` once after `ms`; the returned function cancels it. The timer never keeps the process alive. */
  setTimer(fn: () => void, ms: number): () => void;
  /**
   * Resolves after `ms`, or as soon as `signal` aborts (it never rejects). Unlike `setTimer`, the wait
   * keeps the process alive: someone is awaiting it (a CLI retrying a registry request).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest delay a Node timer holds (2^31-1 ms, 24.8 days); a longer one runs after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `fn` after `ms` on the monotonic clock, through as many timers as the delay needs; answers a
 * function that cancels it. `ref`: whether the pending timer keeps the process alive.
 */
function longTimer(fn: () => void, ms: number, ref: boolean): () => void {
  const due = performance.now() + Math.max(0, ms);
  let t: NodeJS.Timeout;
  const arm = () => {
    const left = due - performance.now();
    t = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMER_MS));
    if (!ref) t.unref();
  };
  arm();
  return () => clearTimeout(t);
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => new Date(),
  setTimer: (fn, ms) => longTimer(fn, ms, false),
  sleep(ms, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        cancel();
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const cancel = longTimer(done, ms, true);
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};
