import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../log/logger.js";
import { type BackoffOptions, backoffDelay } from "../util/backoff.js";
import { type Clock, systemClock } from "../util/clock.js";
import { describeError, isExpired } from "./api-error.js";
import type { ObjectMeta } from "../api/index.js";
import { JsonApi, type KubeObject } from "./json-api.js";
import { type ResourceType, collectionPath } from "./resources.js";
import { watchOnce } from "./watch-once.js";

// A watch-backed, never-blocking view of one resource (client-go's informer): list, then watch from the
// list's resourceVersion, keeping a store with indexes and telling handlers what changed. The gaps of
// a plain list-watch are closed here: every request has a deadline, a failed list or watch is retried
// with backoff (forever: the data stays usable, possibly stale, meanwhile), a watch that keeps ending
// right after it started backs off too, and a 410 Expired relists.

export type InformerEvent<T> =
  | { readonly type: "add"; readonly object: T }
  | { readonly type: "update"; readonly object: T; readonly old: T }
  | { readonly type: "delete"; readonly object: T };

/** The values an object is filed under in one index (client-go's IndexFunc). */
export type IndexFunc<T> = (obj: T) => readonly string[];

export interface InformerOptions<T> {
  readonly resource: ResourceType;
  /** Only objects with these labels, e.g. `app.kubernetes.io/managed-by=kmm-preflight`. */
  readonly labelSelector?: string;
  /** Only objects with these fields (what the API server supports for the kind, e.g. `type=Warning` for events). */
  readonly fieldSelector?: string;
  /** Objects for which this is false are not stored (a filter the API server cannot apply). */
  readonly keep?: (obj: T) => boolean;
  /** Indexes besides `namespace` (always kept), by name. */
  readonly indexes?: Readonly<Record<string, IndexFunc<T>>>;
  /** Applied to every object before it is stored: drop what no reader needs (memory). @default drops metadata.managedFields */
  readonly transform?: (obj: KubeObject) => T;
  /** Delay before retrying a failed list or watch; doubles per consecutive failure. @default { initialMs: 1000, maxMs: 30000 } */
  readonly relistBackoff?: BackoffOptions;
  /** Abort a LIST, or a WATCH whose response has not started, after this long. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Ask the server to end each watch after this long (client-go does the same, 5-10 min). @default 300 */
  readonly watchTimeoutSeconds?: number;
  /** @default systemClock */
  readonly clock?: Clock;
  readonly log: Logger;
}

export interface Informer<T> {
  readonly resource: ResourceType;
  /** True from the first successful list on; the store then keeps answering while the API server is away. */
  readonly synced: boolean;
  /** Every object, or undefined before the first list. The objects are the store's own: never mutate them. */
  list(): readonly T[] | undefined;
  get(name: string, namespace?: string): T | undefined;
  /** Objects filed under `value` in index `index` (`namespace`, or one of `indexes`). Empty before the first list. */
  byIndex(index: string, value: string): readonly T[];
  /** Calls `handler` for every change from now on (the initial list's objects arrive as `add`). Returns an unsubscribe. */
  onEvent(handler: (e: InformerEvent<T>) => void): () => void;
  /** Resolves true once synced, false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
  stop(): Promise<void>;
}

export const NAMESPACE_INDEX = "namespace";

/** What the informer needs of an object: its metadata. */
export interface Stored {
  readonly metadata?: ObjectMeta;
}

/** A watch that ended cleanly sooner than this after it started counts as a failed attempt. */
const MIN_HEALTHY_WATCH_MS = 1000;

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

const withoutManagedFields = (o: KubeObject): KubeObject => {
  if (!o.metadata || !("managedFields" in o.metadata)) return o;
  const { managedFields: _dropped, ...metadata } = o.metadata;
  return { ...o, metadata };
};

export const objectKey = (name: string, namespace?: string): string => `${namespace ?? ""}/${name}`;
const keyOf = (o: Stored) => objectKey(o.metadata?.name ?? "", o.metadata?.namespace);

export function startInformer<T extends Stored = KubeObject>(kc: KubeConfig, o: InformerOptions<T>): Informer<T> {
  const clock = o.clock ?? systemClock;
  const log = o.log.child({ component: "kube", resource: o.resource.plural });
  const api = new JsonApi(kc, { requestTimeoutMs: o.requestTimeoutMs ?? 30_000 });
  const transform = o.transform ?? ((x: KubeObject) => withoutManagedFields(x) as unknown as T);
  const indexFuncs: Record<string, IndexFunc<T>> = { [NAMESPACE_INDEX]: (x) => [x.metadata?.namespace ?? ""], ...o.indexes };
  const store = new Map<string, T>();
  const indexes = new Map<string, Map<string, Set<string>>>(Object.keys(indexFuncs).map((n) => [n, new Map()]));
  const handlers = new Set<(e: InformerEvent<T>) => void>();
  const syncWaiters = new Set<() => void>();
  const stopping = new AbortController();
  let synced = false;

  const file = (key: string, obj: T, add: boolean) => {
    for (const [name, fn] of Object.entries(indexFuncs)) {
      const index = indexes.get(name)!;
      for (const value of fn(obj)) {
        let keys = index.get(value);
        if (add) index.set(value, (keys ??= new Set()).add(key));
        else if (keys?.delete(key) && keys.size === 0) index.delete(value);
      }
    }
  };

  const emit = (e: InformerEvent<T>) => {
    for (const h of handlers) {
      try {
        h(e);
      } catch (err) {
        log.error("an informer event handler failed", { error: describeError(err), event: e.type });
      }
    }
  };

  const upsert = (raw: KubeObject) => {
    const obj = transform(raw);
    const key = keyOf(obj);
    if (o.keep && !o.keep(obj)) return remove(key);
    const old = store.get(key);
    if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
    if (old) file(key, old, false);
    store.set(key, obj);
    file(key, obj, true);
    emit(old ? { type: "update", object: obj, old } : { type: "add", object: obj });
  };

  const remove = (key: string) => {
    const old = store.get(key);
    if (!old) return;
    store.delete(key);
    file(key, old, false);
    emit({ type: "delete", object: old });
  };

  /** A fresh list replaces the store: what it lacks was deleted while we were not watching. */
  const replace = (items: readonly KubeObject[]) => {
    const listed = new Set(items.map((i) => keyOf(i as Stored)));
    for (const key of [...store.keys()]) if (!listed.has(key)) remove(key);
    for (const item of items) upsert(item);
  };

  const path = collectionPath(o.resource);
  const query: Record<string, string> = { ...(o.labelSelector && { labelSelector: o.labelSelector }), ...(o.fieldSelector && { fieldSelector: o.fieldSelector }) };
  const backoff = o.relistBackoff ?? DEFAULT_BACKOFF;
  const connectTimeoutMs = o.requestTimeoutMs ?? 30_000;
  const watchTimeoutSeconds = o.watchTimeoutSeconds ?? 300;

  async function run(): Promise<void> {
    let resourceVersion = "";
    let failures = 0;
    let quickEnds = 0;
    while (!stopping.signal.aborted) {
      try {
        if (!resourceVersion) {
          const list = await api.list<KubeObject>(o.resource, { ...query, signal: stopping.signal });
          replace(list.items);
          resourceVersion = list.resourceVersion;
          log.debug(`listed ${o.resource.plural}`, { count: list.items.length, resourceVersion });
          if (failures > 0) log.info("API server reachable again", { after: failures === 1 ? "1 failure" : `${failures} failures` });
          failures = 0;
          if (!synced) {
            synced = true;
            for (const w of syncWaiters) w();
          }
        }
        let expired = false;
        // client-node's Watch swallows what a callback throws: an ERROR event is noted, and thrown once the server ends the stream.
        let errorEvent: unknown;
        const { streamedMs } = await watchOnce(kc, path, { ...query, resourceVersion }, (e) => {
          const obj = e.object as KubeObject;
          if (e.type === "ERROR") {
            if ((obj as { code?: unknown })?.code === 410) expired = true;
            else errorEvent = obj;
            return;
          }
          if (e.type === "ADDED" || e.type === "MODIFIED") upsert(obj);
          else if (e.type === "DELETED") remove(keyOf(obj as Stored));
          resourceVersion = obj?.metadata?.resourceVersion ?? resourceVersion;
        }, { connectTimeoutMs, watchTimeoutSeconds, signal: stopping.signal, clock });
        if (errorEvent !== undefined && !stopping.signal.aborted) throw new Error(`the watch ended with an error: ${describeStatus(errorEvent)}`);
        if (expired) {
          log.debug("watch expired; listing again", { resourceVersion });
          resourceVersion = "";
          continue;
        }
        if (streamedMs >= MIN_HEALTHY_WATCH_MS) {
          // A watch that streamed for a while proves the server healthy: its end starts a fresh backoff.
          failures = 0;
          quickEnds = 0;
          continue;
        }
        if (stopping.signal.aborted) break;
        const delay = backoffDelay(quickEnds++, backoff);
        log.debug("watch ended right after it started; waiting before reconnecting", { streamedMs, delayMs: delay });
        await clock.sleep(delay, stopping.signal);
      } catch (err) {
        if (stopping.signal.aborted) break;
        if (isExpired(err)) {
          resourceVersion = "";
          continue;
        }
        const delay = backoffDelay(failures++, backoff);
        log.warn(`${o.resource.kind} list/watch failed; retrying`, { error: describeError(err), retryInMs: delay, failures });
        await clock.sleep(delay, stopping.signal);
      }
    }
  }

  const running = run().catch((err: unknown) => log.error("informer stopped unexpectedly", { error: describeError(err) }));

  return {
    resource: o.resource,
    get synced() {
      return synced;
    },
    list: () => (synced ? [...store.values()] : undefined),
    get: (name, namespace) => store.get(objectKey(name, o.resource.namespaced ? namespace : undefined)),
    byIndex(index, value) {
      const keys = indexes.get(index)?.get(value);
      return keys ? [...keys].map((k) => store.get(k)!) : [];
    },
    onEvent(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    waitForSync(signal) {
      if (synced) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => {
          syncWaiters.delete(onSync);
          signal?.removeEventListener("abort", onAbort);
          stopping.signal.removeEventListener("abort", onAbort);
          resolve(ok);
        };
        const onSync = () => done(true);
        const onAbort = () => done(false);
        syncWaiters.add(onSync);
        if (signal?.aborted || stopping.signal.aborted) return onAbort();
        signal?.addEventListener("abort", onAbort, { once: true });
        stopping.signal.addEventListener("abort", onAbort, { once: true });
      });
    },
    async stop() {
      stopping.abort();
      await running;
    },
  };
}

/** An index function filing objects under the value of one label (objects without it are not filed). */
export const labelIndex =
  <T extends Stored>(label: string): IndexFunc<T> =>
  (obj) => {
    const v = obj.metadata?.labels?.[label];
    return typeof v === "string" ? [v] : [];
  };

function describeStatus(status: unknown): string {
  const s = status as { code?: unknown; message?: unknown } | null;
  return typeof s?.message === "string" ? `HTTP ${String(s.code)}: ${s.message}` : JSON.stringify(status);
}
