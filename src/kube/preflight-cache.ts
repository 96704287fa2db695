import {
  CustomObjectsApi,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { GROUP, PREFLIGHT_PLURAL, PREFLIGHT_VERSION, type PreflightValidationOCP } from "../api/index.js";
import type { Logger } from "../log/logger.js";
import { describeError } from "./api-error.js";
import { withSignal } from "./request-options.js";

// A watch-backed, never-blocking view of the cluster's PreflightValidationOCP objects.
//
// Built on client-node's ListWatch (what makeInformer returns), which has three gaps we close here:
// - after any error other than 410 it emits 'error' and stops for good: we restart it after a backoff;
// - its list and its watch request have no timeout (a hung API server blocks it forever): we abort a
//   LIST with an AbortSignal and a watch that does not start streaming by destroying its agent;
// - it reconnects a watch that ended cleanly at once, in a loop if the server keeps closing it: we
//   back off when watches end right after they started.

export interface PreflightCache {
  /**
   * Current objects, or undefined when the cache has not synced yet (callers then skip what needs it). Never blocks.
   * After the first sync it keeps answering the last known objects while the API server is unreachable.
   * The objects are the cache's own: do not mutate them.
   */
  list(): readonly PreflightValidationOCP[] | undefined;
  readonly synced: boolean;
  stop(): Promise<void>;
}

export interface PreflightCacheOptions {
  /**
   * Delay before restarting after the list or watch failed; doubles with each consecutive failure.
   * @default { initialMs: 1000, maxMs: 30000 }
   */
  readonly relistBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Abort a LIST, or a WATCH whose response has not started, after this long. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * Ask the server to end each watch after this long (client-go does the same, 5–10 min), so a
   * silently dead connection is noticed: a stream open `requestTimeoutMs` longer is torn down.
   * @default 300
   */
  readonly watchTimeoutSeconds?: number;
}

export const PREFLIGHT_WATCH_PATH = `/apis/${GROUP}/${PREFLIGHT_VERSION}/${PREFLIGHT_PLURAL}`;

/** A watch that ended cleanly sooner than this after it started counts as a failed attempt. */
const MIN_HEALTHY_WATCH_MS = 1000;

export function startPreflightCache(kc: KubeConfig, log: Logger, opts: PreflightCacheOptions = {}): PreflightCache {
  const klog = log.child({ component: "kube" });
  const initialMs = opts.relistBackoff?.initialMs ?? 1000;
  const maxMs = opts.relistBackoff?.maxMs ?? 30_000;
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
  const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
  const backoff = (attempt: number) => Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));

  const api = kc.makeApiClient(CustomObjectsApi);
  const stopping = new AbortController();
  let stopped = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let everSynced = false;

  const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    try {
      const list = (await api.listClusterCustomObject(
        { group: GROUP, version: PREFLIGHT_VERSION, plural: PREFLIGHT_PLURAL },
        withSignal(AbortSignal.any([stopping.signal, timeout])),
      )) as KubernetesListObject<KubernetesObject>;
      if (failures > 0) klog.info("API server reachable again", { after: failures === 1 ? "1 failure" : `${failures} failures` });
      failures = 0;
      klog.debug("listed PreflightValidationOCP objects", { count: list.items?.length ?? 0, resourceVersion: list.metadata?.resourceVersion });
      return list;
    } catch (err) {
      if (timeout.aborted) throw new Error(`list ${PREFLIGHT_PLURAL}: no answer within ${requestTimeoutMs} ms`);
      throw err;
    }
  };

  const watch = new GuardedWatch(kc, {
    connectTimeoutMs: requestTimeoutMs,
    watchTimeoutSeconds,
    reconnectDelay: backoff,
    // A watch that streamed for a while proves the server healthy: its end starts a fresh backoff.
    onHealthy: () => {
      failures = 0;
    },
    log: klog,
  });
  const informer = new ListWatch<KubernetesObject>(PREFLIGHT_WATCH_PATH, watch, listFn, false);

  const start = () => {
    informer.start().catch(onError);
  };
  function onError(err: unknown): void {
    if (stopped) return;
    failures++;
    const delay = backoff(failures);
    klog.warn("PreflightValidationOCP list/watch failed; retrying", { error: describeError(err), retryInMs: delay, failures });
    if (restartTimer) return;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (!stopped) start();
    }, delay);
    restartTimer.unref();
  }
  informer.on("error", onError);
  informer.on("connect", () => klog.debug("PreflightValidationOCP list/watch (re)connecting"));
  start();

  const isSynced = () => {
    // ListWatch records the list's resourceVersion right after storing its items, and only clears it
    // to relist after a 410; once seen, the data stays usable (possibly stale) for good.
    everSynced ||= informer.latestResourceVersion() !== "";
    return everSynced;
  };

  return {
    list: () => (isSynced() ? (informer.list() as unknown as readonly PreflightValidationOCP[]) : undefined),
    get synced() {
      return isSynced();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      stopping.abort();
      watch.stop();
      await informer.stop();
    },
  };
}

interface GuardOptions {
  readonly connectTimeoutMs: number;
  readonly watchTimeoutSeconds: number;
  readonly reconnectDelay: (attempt: number) => number;
  readonly onHealthy: () => void;
  readonly log: Logger;
}

type WatchArgs = Parameters<Watch["watch"]>;
interface Destroyable { destroy(): void }

/**
 * client-node's Watch with the timeouts it lacks. Watch gives no handle on a request until its
 * response arrives, so it reads the agent that `applyToFetchOptions` creates (one per watch) and
 * destroys it to abort a watch that is not streaming, has outlived its timeout, or on stop().
 */
class GuardedWatch extends Watch {
  private agent: Destroyable | undefined;
  private quickEnds = 0;
  private lastEnd: { clean: boolean; lifetimeMs: number } | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;

  constructor(kc: KubeConfig, private readonly guard: GuardOptions) {
    super(kc);
    const view = Object.create(kc) as KubeConfig;
    view.applyToFetchOptions = async (o) => {
      const init = await kc.applyToFetchOptions(o);
      const agent: unknown = init.agent;
      this.agent = typeof agent === "object" && agent !== null && "destroy" in agent ? (agent as Destroyable) : undefined;
      return init;
    };
    this.config = view;
  }

  override async watch(path: WatchArgs[0], query: WatchArgs[1], callback: WatchArgs[2], done: WatchArgs[3]): Promise<AbortController> {
    await this.pauseAfterQuickEnd();
    if (this.stopped) return new AbortController();

    let streamingSince: number | undefined;
    let finished = false;
    let cause: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    const tearDown = (why: string, ms: number) => {
      timer = setTimeout(() => {
        cause = why;
        this.agent?.destroy();
      }, ms);
      timer.unref();
    };
    const onDone = (err: unknown) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      const lifetimeMs = streamingSince === undefined ? 0 : Date.now() - streamingSince;
      this.lastEnd = { clean: !err, lifetimeMs };
      if (lifetimeMs >= MIN_HEALTHY_WATCH_MS) this.guard.onHealthy();
      done(err && cause ? new Error(cause) : err);
    };

    tearDown(`watch ${path}: no response within ${this.guard.connectTimeoutMs} ms`, this.guard.connectTimeoutMs);
    try {
      const controller = await super.watch(
        path,
        { ...query, allowWatchBookmarks: true, timeoutSeconds: this.guard.watchTimeoutSeconds },
        callback,
        onDone,
      );
      clearTimeout(timer);
      if (!finished) {
        streamingSince = Date.now();
        const limitMs = this.guard.watchTimeoutSeconds * 1000 + this.guard.connectTimeoutMs;
        tearDown(`watch ${path}: still open ${limitMs} ms after it started`, limitMs);
      }
      return controller;
    } catch (err) {
      // Only reached when the request could not even be prepared (e.g. an unreadable token file).
      onDone(err);
      return new AbortController();
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.agent?.destroy();
  }

  private async pauseAfterQuickEnd(): Promise<void> {
    const last = this.lastEnd;
    if (!last?.clean || last.lifetimeMs >= MIN_HEALTHY_WATCH_MS) {
      this.quickEnds = 0;
      return;
    }
    const delay = this.guard.reconnectDelay(++this.quickEnds);
    this.guard.log.debug("watch ended right after it started; waiting before reconnecting", { lifetimeMs: last.lifetimeMs, delayMs: delay });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), delay);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
