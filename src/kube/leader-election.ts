import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "../log/logger.js";
import { describeError, isConflict, isNotFound, statusCodeOf } from "./api-error.js";
import { JITTER, type LeaseRecord, type LeaseTiming, leaseTimingError, nextLeaseStep, releasedLease, resolveLeaseTiming, sameLeaseRecord } from "./lease-step.js";
import { type Clock, systemClock } from "../util/clock.js";
import { deadline, withSignal } from "./request-options.js";

// Leader election on a coordination.k8s.io/v1 Lease, with client-go's protocol and timing
// (leaseDuration > renewDeadline > retryPeriod): every replica serves admission; only the leader does
// the work that must happen once per cluster (the job runner). ADR 9 records where and why it differs
// from client-go: a lost Lease stops the work and rejoins instead of exiting, stop() releases the Lease,
// and every renew deadline counts from when the request that renewed was sent.

export interface LeaderElectionConfig extends Partial<LeaseTiming> {
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;
  /** Unique per process: pod name plus a random suffix, so a restarted pod is a new candidate. */
  readonly identity: string;
  /**
   * Intervals (Lease age, deadlines, retry periods) are measured on its monotonic clock, so a wall-clock
   * step cannot shorten or stretch them; its wall time only fills acquireTime and renewTime. @default systemClock
   */
  readonly clock?: Clock;
}

export interface LeaderCallbacks {
  /**
   * Runs the leader's work until `signal` aborts (Lease lost or stop()). The Lease is released, or
   * campaigned for again, only after the returned promise settles, so the work never overlaps the
   * next leader's. It must settle within leaseDuration - renewDeadline of the abort.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
  /** The holder seen in the Lease changed ("" when nobody holds it). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElection {
  /** True from a successful acquire until the Lease is lost or stop() begins. */
  readonly isLeader: boolean;
  /** The holder last seen in the Lease, "" for none, undefined before the first read. */
  readonly leader: string | undefined;
  /** Stops campaigning; a leader stops its work and releases the Lease. Idempotent; never rejects. */
  stop(): Promise<void>;
}

const LEASE_TYPE = { apiVersion: "coordination.k8s.io/v1", kind: "Lease" } as const;

export function startLeaderElection(kc: KubeConfig, log: Logger, config: LeaderElectionConfig, callbacks: LeaderCallbacks): LeaderElection {
  const timing = resolveLeaseTiming(config);
  const invalid = config.identity ? leaseTimingError(timing) : "the identity must not be empty";
  if (invalid) throw new Error(`leader election: ${invalid}`);
  const { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds } = timing;
  const renewDeadlineMs = renewDeadlineSeconds * 1000;
  /** What a new leader's wait leaves the old leader's work to stop in. */
  const workStopMs = (leaseDurationSeconds - renewDeadlineSeconds) * 1000;
  const llog = log.child({ component: "leader-election" });
  const api = kc.makeApiClient(CoordinationV1Api);
  const { namespace, name, identity } = config;
  const lease = `${namespace}/${name}`;
  const clock = config.clock ?? systemClock;
  const monotonicMs = () => clock.now();
  const wallMs = () => clock.wallNow().getTime();

  const stopping = new AbortController();
  let isLeader = false;
  let leader: string | undefined;
  /** The Lease as last read or written, and when (monotonic) its record was last seen to change. */
  let observed: { lease: V1Lease | undefined; record: LeaseRecord | undefined; atMs: number } | undefined;
  /** Set once this candidate has sent a write: only then can the Lease be ours to release. */
  let wrote = false;
  /** The last failure logged at warn, so a persistent one is logged once, not every retry. */
  let lastProblem: string | undefined;

  const notify = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      llog.error(`the ${what} callback failed`, { error: describeError(err) });
    }
  };

  const observe = (l: V1Lease | undefined) => {
    const record = l?.spec ? normalised(l.spec as Record<string, unknown>) : undefined;
    const changed = !observed || !sameLeaseRecord(observed.record, record);
    observed = { lease: l, record, atMs: changed ? monotonicMs() : observed!.atMs };
    const holder = record?.holderIdentity ?? "";
    if (holder !== leader) {
      leader = holder;
      if (holder !== identity) llog.info(holder ? "leader is another replica" : "the Lease is free", { lease, leader: holder });
      notify("onNewLeader", () => callbacks.onNewLeader?.(holder));
    }
  };

  async function read(signal: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await api.readNamespacedLease({ name, namespace }, withSignal(signal));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Writes `record` over the Lease last read, keeping its metadata (labels, annotations, resourceVersion). */
  async function write(record: LeaseRecord, signal: AbortSignal, current: V1Lease | undefined): Promise<V1Lease> {
    wrote = true;
    const spec = record as V1Lease["spec"];
    if (!current) return api.createNamespacedLease({ namespace, body: { ...LEASE_TYPE, metadata: { name, namespace }, spec } }, withSignal(signal));
    return api.replaceNamespacedLease({ name, namespace, body: { ...current, ...LEASE_TYPE, spec } }, withSignal(signal));
  }

  const step = (record: LeaseRecord | undefined, atMs: number) =>
    nextLeaseStep(record, { identity, leaseDurationSeconds, nowMs: wallMs(), sinceObservedMs: monotonicMs() - atMs });

  /** One attempt; true when this candidate holds the Lease afterwards. */
  async function tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    // Fast path (client-go's too): the leader renews what it last wrote without reading first; a 409
    // means someone else wrote since, and the slow path reads what they wrote.
    const renewal = isLeader && observed?.lease ? step(observed.record, observed.atMs) : undefined;
    if (renewal?.kind === "update" && !renewal.acquiring) {
      try {
        observe(await write(renewal.record, signal, observed!.lease));
        return true;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    observe(await read(signal));
    const next = step(observed!.record, observed!.atMs);
    if (next.kind === "held") return false;
    observe(await write(next.record, signal, next.kind === "create" ? undefined : observed!.lease));
    return true;
  }

  /** Runs one attempt cut off after `timeoutMs`; true on success. Failures are retried by the caller. */
  async function attempt(what: string, timeoutMs: number): Promise<boolean> {
    const request = deadline(timeoutMs, stopping.signal, clock);
    try {
      const ok = await tryAcquireOrRenew(request.signal);
      if (lastProblem !== undefined) llog.info("the Lease can be read and written again", { lease });
      lastProblem = undefined;
      return ok;
    } catch (err) {
      if (stopping.signal.aborted) return false;
      const problem = request.signal.aborted ? `no answer within ${timeoutMs.toFixed(0)} ms` : describeError(err);
      // A 409 is a lost race, routine with two candidates; anything else (403 RBAC, 404 namespace,
      // an unreachable server) an operator must see, once per distinct problem.
      const lostRace = statusCodeOf(err) === 409; // AlreadyExists on create, Conflict on update
      if (lostRace || problem === lastProblem) llog.debug(`could not ${what} the Lease`, { lease, error: problem });
      else llog.warn(`could not ${what} the Lease; retrying`, { lease, error: problem });
      if (!lostRace) lastProblem = problem;
      return false;
    } finally {
      request.dispose();
    }
  }

  const pause = (ms: number) => clock.sleep(ms, stopping.signal);
  const jittered = () => retryPeriodSeconds * 1000 * (1 + Math.random() * JITTER);

  /** Resolves with when (monotonic) the successful attempt was sent, or undefined on stop(). */
  async function acquire(): Promise<number | undefined> {
    while (!stopping.signal.aborted) {
      const sentAt = monotonicMs();
      if (await attempt("acquire", renewDeadlineMs)) return sentAt;
      await pause(jittered());
    }
    return undefined;
  }

  /**
   * Renews every retry period until renewal fails for the renew deadline, another holder shows up, or
   * stop(). The deadline counts from when the last successful request was sent, the acquire's included:
   * others may have seen the previous record until then, and a slow answer must not extend the term.
   */
  async function renew(acquiredAt: number): Promise<void> {
    let renewedAt = acquiredAt;
    while (!stopping.signal.aborted) {
      await pause(retryPeriodSeconds * 1000);
      if (stopping.signal.aborted) return;
      const sentAt = monotonicMs();
      if (await attempt("renew", renewedAt + renewDeadlineMs - sentAt)) {
        renewedAt = sentAt;
        continue;
      }
      if (stopping.signal.aborted) return;
      if (leader !== identity || monotonicMs() - renewedAt >= renewDeadlineMs) {
        llog.warn("lost the Lease; stopping the leader's work and rejoining the election", { lease, leader, sinceRenewalMs: Math.round(monotonicMs() - renewedAt) });
        return;
      }
    }
  }

  /** Leads until the Lease is lost or stop(); false when the work outlived its allowance at stop(). */
  async function lead(acquiredAt: number): Promise<boolean> {
    isLeader = true;
    llog.info("became the leader", { lease, identity, leaseTransitions: observed?.record?.leaseTransitions });
    const work = new AbortController();
    const running = Promise.resolve()
      .then(() => callbacks.onStartedLeading(work.signal))
      .catch((err: unknown) => llog.error("the leader's work failed", { error: describeError(err) }));
    await renew(acquiredAt);
    isLeader = false;
    work.abort();
    let stopped = await settlesWithin(running, workStopMs, clock);
    if (!stopped) {
      llog.error("the leader's work did not stop in time after leadership ended; another replica may already lead", { lease, allowanceMs: workStopMs });
      // Never campaign again, or release, while the old work may still act.
      if (!stopping.signal.aborted) stopped = await settlesWithin(running, Infinity, clock, stopping.signal);
    }
    notify("onStoppedLeading", () => callbacks.onStoppedLeading?.());
    return stopped;
  }

  /** Hands the Lease over at once. Re-reads first: a write aborted by stop() may still have landed. */
  async function release(): Promise<void> {
    if (!wrote) return;
    // Not bound to `stopping` (already aborted): this write is the point of stopping. The whole release
    // gets one renew deadline, so a hand-over takes at most a lease duration with the work's stop.
    const limit = deadline(renewDeadlineMs, undefined, clock);
    try {
      await releaseWithin(limit.signal);
    } finally {
      limit.dispose();
    }
  }

  async function releaseWithin(signal: AbortSignal): Promise<void> {
    for (let tries = 0; tries < 2; tries++) {
      try {
        const current = await api.readNamespacedLease({ name, namespace }, withSignal(signal));
        const record = current.spec ? normalised(current.spec as Record<string, unknown>) : undefined;
        if (record?.holderIdentity !== identity) return;
        await api.replaceNamespacedLease({ name, namespace, body: { ...current, ...LEASE_TYPE, spec: releasedLease(record, wallMs()) as V1Lease["spec"] } }, withSignal(signal));
        llog.info("released the Lease", { lease });
        return;
      } catch (err) {
        if (isConflict(err) && tries === 0) continue;
        llog.warn("could not release the Lease; another replica takes over when it expires", { lease, error: describeError(err), leaseDurationSeconds });
        return;
      }
    }
  }

  const done = (async () => {
    llog.info("joining the leader election", { lease, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds });
    while (!stopping.signal.aborted) {
      const acquiredAt = await acquire();
      if (acquiredAt === undefined) break;
      if (!(await lead(acquiredAt))) return;
    }
    await release();
  })().catch((err: unknown) => llog.error("leader election failed", { lease, error: describeError(err) }));

  return {
    get isLeader() {
      return isLeader;
    },
    get leader() {
      return leader;
    },
    async stop() {
      stopping.abort();
      await done;
    },
  };
}



/**
 * The managed fields as strings and numbers. client-node 1.4 passes MicroTime through as the string it
 * read (its serializer does not know the type); a Date would compare unequal every time.
 */
function normalised(spec: Record<string, unknown>): LeaseRecord {
  const time = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === "string" ? v : undefined);
  return {
    ...spec,
    holderIdentity: typeof spec["holderIdentity"] === "string" ? spec["holderIdentity"] : undefined,
    leaseDurationSeconds: typeof spec["leaseDurationSeconds"] === "number" ? spec["leaseDurationSeconds"] : undefined,
    acquireTime: time(spec["acquireTime"]),
    renewTime: time(spec["renewTime"]),
    leaseTransitions: typeof spec["leaseTransitions"] === "number" ? spec["leaseTransitions"] : undefined,
  };
}

/** True when `p` settled within `ms` (false on timeout, or when `signal` aborts first). */
async function settlesWithin(p: Promise<unknown>, ms: number, clock: Clock, signal?: AbortSignal): Promise<boolean> {
  let cancelTimer: (() => void) | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<false>((resolve) => {
    if (Number.isFinite(ms)) cancelTimer = clock.setTimer(() => resolve(false), ms);
    onAbort = () => resolve(false);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([p.then(() => true), expired]);
  } finally {
    cancelTimer?.();
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
