import type { KubeConfig } from "@kubernetes/client-node";
import { describeError } from "../kube/api-error.js";
import { type Informer, type InformerOptions, type Stored, startInformer } from "../kube/informer.js";
import { type LeaderElection, type LeaderElectionConfig, startLeaderElection } from "../kube/leader-election.js";
import type { Logger } from "../log/logger.js";
import { type Clock, systemClock } from "../util/clock.js";

// What controller-runtime's manager does for a Go controller: owns the watch caches, the leader
// election, and the work that must run on one replica at a time (the runner), started once the caches
// have synced and stopped before leadership is handed over. Every replica serves admission meanwhile.

export interface ManagerOptions {
  readonly kc: KubeConfig;
  readonly log: Logger;
  /** Campaign for this Lease; undefined: this replica runs the leader's work on its own (a single replica). */
  readonly leaderElection?: Omit<LeaderElectionConfig, "clock">;
  /** Told when this replica wins and loses the election (the leader metric); never without an election. */
  readonly onLeading?: (leading: boolean) => void;
  readonly clock?: Clock;
}

/** Work that runs while this replica leads, until `signal` aborts; it must settle soon after. */
export type LeaderWork = (signal: AbortSignal) => Promise<void>;

export interface Manager {
  /** Starts a cache now (every replica keeps its caches warm, so a new leader starts at once). */
  informer<T extends Stored>(name: string, opts: Omit<InformerOptions<T>, "log" | "clock">): Informer<T>;
  /** Adds work for the leader; call before start(). */
  runWhileLeading(name: string, work: LeaderWork): void;
  /** Joins the election (or, without one, starts the work). Call once the server is serving. */
  start(): void;
  /** True while this replica runs the leader's work. */
  readonly leading: boolean;
  /** Why this replica is not ready, or undefined: a leader elected among replicas must have synced caches. */
  readinessProblem(): string | undefined;
  /** Stops the work, hands the Lease over, stops the caches. Idempotent. */
  stop(): Promise<void>;
}

export function createManager(o: ManagerOptions): Manager {
  const clock = o.clock ?? systemClock;
  const log = o.log.child({ component: "manager" });
  const informers = new Map<string, Informer<Stored>>();
  const work = new Map<string, LeaderWork>();
  let election: LeaderElection | undefined;
  let alone: { stop: AbortController; done: Promise<void> } | undefined;
  let leading = false;
  let started = false;
  let stopped: Promise<void> | undefined;

  /** Waits for the caches, then runs every piece of work until `signal` aborts. */
  async function lead(signal: AbortSignal, elected: boolean): Promise<void> {
    leading = true;
    if (elected) o.onLeading?.(true);
    try {
      const synced = await Promise.all([...informers.values()].map((i) => i.waitForSync(signal)));
      if (!synced.every(Boolean)) return;
      log.info("caches synced; starting the leader's work", { caches: [...informers.keys()], work: [...work.keys()] });
      await Promise.all(
        [...work].map(([name, run]) =>
          run(signal).catch((err: unknown) => log.error("leader work failed", { work: name, error: describeError(err) })),
        ),
      );
      // Work that ended early does not end the leadership: the Lease is held until it is lost or released.
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    } finally {
      leading = false;
      if (elected) o.onLeading?.(false);
    }
  }

  return {
    informer<T extends Stored>(name: string, opts: Omit<InformerOptions<T>, "log" | "clock">) {
      if (informers.has(name)) throw new Error(`manager: a cache named ${name} already exists`);
      const i = startInformer<T>(o.kc, { ...opts, log: o.log, clock });
      informers.set(name, i as unknown as Informer<Stored>);
      return i;
    },
    runWhileLeading(name, run) {
      if (started) throw new Error(`manager: work ${name} added after start()`);
      work.set(name, run);
    },
    start() {
      if (started) return;
      started = true;
      if (o.leaderElection) {
        election = startLeaderElection(o.kc, o.log, { ...o.leaderElection, clock }, { onStartedLeading: (signal) => lead(signal, true) });
      } else if (work.size > 0) {
        const stop = new AbortController();
        alone = { stop, done: lead(stop.signal, false) };
      }
    },
    get leading() {
      return leading;
    },
    readinessProblem() {
      if (!election?.isLeader) return undefined;
      const unsynced = [...informers].filter(([, i]) => !i.synced).map(([name]) => name);
      return unsynced.length ? `leading, but the ${unsynced.join(", ")} cache${unsynced.length > 1 ? "s have" : " has"} not synced yet` : undefined;
    },
    stop() {
      return (stopped ??= (async () => {
        alone?.stop.abort();
        await alone?.done;
        await election?.stop();
        await Promise.all([...informers.values()].map((i) => i.stop()));
      })());
    },
  };
}
