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

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => new Date(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return () => clearTimeout(t);
  },
  sleep(ms, signal) {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};
