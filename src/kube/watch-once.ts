import { type KubeConfig, Watch } from "@kubernetes/client-node";
import type { Clock } from "../util/clock.js";

// One watch request, start to end, with the timeouts client-node's Watch lacks: it gives no handle on
// a request until its response arrives, and none at all on a stream that goes silent. The agent that
// `applyToFetchOptions` creates (one per watch) is captured and destroyed to end it.

export interface WatchEvent {
  readonly type: string;
  readonly object: unknown;
}

export interface WatchOnceOptions {
  /** Give up when the response has not started after this long. */
  readonly connectTimeoutMs: number;
  /** Asked of the server; a stream still open `connectTimeoutMs` after it is torn down (a dead connection). */
  readonly watchTimeoutSeconds: number;
  readonly signal: AbortSignal;
  readonly clock: Clock;
}

interface Destroyable {
  destroy(): void;
}

/**
 * Streams `path` from `resourceVersion` until the stream ends. Resolves with how long it streamed
 * (a clean end: the server's timeout, a dropped connection the server closed, or `signal`); rejects on
 * a failed request or a timeout.
 */
export async function watchOnce(kc: KubeConfig, path: string, query: Record<string, string>, onEvent: (e: WatchEvent) => void, o: WatchOnceOptions): Promise<{ streamedMs: number }> {
  let agent: Destroyable | undefined;
  const view = Object.create(kc) as KubeConfig;
  view.applyToFetchOptions = async (opts) => {
    const init = await kc.applyToFetchOptions(opts);
    const a: unknown = init.agent;
    agent = typeof a === "object" && a !== null && "destroy" in a ? (a as Destroyable) : undefined;
    return init;
  };

  return new Promise((resolve, reject) => {
    let cause: Error | undefined;
    let finished = false;
    let streamingSince: number | undefined;
    let cancelTimer = () => {};
    const tearDownAfter = (why: string, ms: number) => {
      cancelTimer();
      cancelTimer = o.clock.setTimer(() => {
        cause = new Error(why);
        agent?.destroy();
      }, ms);
    };
    const onAbort = () => agent?.destroy();
    o.signal.addEventListener("abort", onAbort, { once: true });
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      cancelTimer();
      o.signal.removeEventListener("abort", onAbort);
      const streamedMs = streamingSince === undefined ? 0 : o.clock.now() - streamingSince;
      if (o.signal.aborted) resolve({ streamedMs });
      else if (cause) reject(cause);
      else if (err) reject(err);
      else resolve({ streamedMs });
    };

    tearDownAfter(`watch ${path}: no response within ${o.connectTimeoutMs} ms`, o.connectTimeoutMs);
    new Watch(view)
      .watch(path, { ...query, allowWatchBookmarks: true, timeoutSeconds: o.watchTimeoutSeconds }, (type: string, object: unknown) => onEvent({ type, object }), finish)
      .then(() => {
        if (finished) return;
        streamingSince = o.clock.now();
        const limitMs = o.watchTimeoutSeconds * 1000 + o.connectTimeoutMs;
        tearDownAfter(`watch ${path}: still open ${limitMs} ms after it started`, limitMs);
        if (o.signal.aborted) agent?.destroy();
      })
      // Only reached when the request could not even be prepared (e.g. an unreadable token file).
      .catch(finish);
  });
}
