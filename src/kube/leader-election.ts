import { setTimeout as sleep } from "node:timers/promises";
import { CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "../log/logger.js";
import { describeError } from "./api-error.js";
import { JITTER, type LeaseRecord, type LeaseTiming, leaseTimingError, nextLeaseStep, releasedLease, resolveLeaseTiming, sameLeaseRecord } from "./lease-step.js";
import { withSignal } from "./request-options.js";

// Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing (leaseDuration >
// renewDeadline > retryPeriod): every replica serves admission; only the leader does the work that must
// happen once per cluster (the job runner). Two choices differ from client-go, both for the webhook:
// - losing the Lease stops the leader's work and rejoins the election instead of exiting the process,
//   so a replica that lost its Lease (an API server hiccup) keeps answering admission requests;
// - stop() always releases a held Lease (client-go's ReleaseOnCancel), so a rollout hands over at
//   the next retry rather than after a whole lease duration.

export interface LeaderElectionConfig extends Partial<LeaseTiming> {
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;
  /** Unique per process: pod name plus a random suffix, so a restarted pod is a new candidate. */
  readonly identity: string;
}

export interface LeaderCallbacks {
  /**
   * Runs the leader's work until `signal` aborts (Lease lost or stop()). The Lease is released only
   * after the returned promise settles, so the work never overlaps the next leader's.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
  /** The holder seen in the Lease changed ("" when nobody holds it). */
  onNewLeader?(identity: string): void;
}

export interface LeaderElection {
  readonly isLeader: boolean;
  /** The holder last seen in the Lease, "" for none, undefined before the first read. */
  readonly leader: string | undefined;
  /** Stops campaigning; a leader stops its work and releases the Lease. Idempotent. */
  stop(): Promise<void>;
}

export function startLeaderElection(kc: KubeConfig, log: Logger, config: LeaderElectionConfig, callbacks: LeaderCallbacks): LeaderElection {
  const timing = resolveLeaseTiming(config);
  const invalid = config.identity ? leaseTimingError(timing) : "the identity must not be empty";
  if (invalid) throw new Error(`leader election: ${invalid}`);
  const { leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds } = timing;
  const llog = log.child({ component: "leader-election" });
  const api = kc.makeApiClient(CoordinationV1Api);
  const { namespace, name, identity } = config;
  const lease = `${namespace}/${name}`;

  const stopping = new AbortController();
  let isLeader = false;
  let leader: string | undefined;
  /** The record as last read, and when (local clock) it was last seen to change. */
  let observed: { record: LeaseRecord | undefined; resourceVersion: string | undefined; atMs: number } | undefined;

  const observe = (l: V1Lease | undefined) => {
    const record = l?.spec as LeaseRecord | undefined;
    if (!observed || !sameLeaseRecord(observed.record, record)) observed = { record, resourceVersion: l?.metadata?.resourceVersion, atMs: Date.now() };
    else observed.resourceVersion = l?.metadata?.resourceVersion;
    const holder = record?.holderIdentity ?? "";
    if (holder !== leader) {
      leader = holder;
      if (holder !== identity) llog.info(holder ? "leader is another replica" : "the Lease is free", { lease, leader: holder });
      callbacks.onNewLeader?.(holder);
    }
  };

  async function read(signal: AbortSignal): Promise<V1Lease | undefined> {
    try {
      return await api.readNamespacedLease({ name, namespace }, withSignal(signal));
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined;
      throw err;
    }
  }

  /** One attempt (a read and maybe a write, both cut off by `signal`); true when this candidate holds the Lease afterwards. */
  async function tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    observe(await read(signal));
    const step = nextLeaseStep(observed!.record, { identity, leaseDurationSeconds, nowMs: Date.now(), observedAtMs: observed!.atMs });
    if (step.kind === "held") return false;
    const metadata = { name, namespace, ...(step.kind === "update" ? { resourceVersion: observed!.resourceVersion } : {}) };
    const body: V1Lease = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata, spec: step.record as V1Lease["spec"] };
    const written = step.kind === "create"
      ? await api.createNamespacedLease({ namespace, body }, withSignal(signal))
      : await api.replaceNamespacedLease({ name, namespace, body }, withSignal(signal));
    observe(written);
    return true;
  }

  /** The attempt is abandoned after `timeoutMs`, so a hung API server cannot stall the loop. */
  const attempt = async (what: string, timeoutMs: number): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew(AbortSignal.any([stopping.signal, AbortSignal.timeout(Math.max(1, timeoutMs))]));
    } catch (err) {
      if (stopping.signal.aborted) return false;
      // 409: another candidate wrote first; anything else: the API server is unwell. Either way, retry.
      llog.debug(`could not ${what} the Lease`, { lease, error: describeError(err) });
      return false;
    }
  };

  const pause = (seconds: number) => sleep(seconds * 1000, undefined, { signal: stopping.signal }).catch(() => {});
  const jittered = () => retryPeriodSeconds * (1 + Math.random() * (JITTER - 1));

  async function acquire(): Promise<boolean> {
    while (!stopping.signal.aborted) {
      if (await attempt("acquire", renewDeadlineSeconds * 1000)) return true;
      await pause(jittered());
    }
    return false;
  }

  /** Renews every retry period; returns when renewal failed for the whole renew deadline, or on stop(). */
  async function renew(): Promise<void> {
    let renewedAt = Date.now();
    while (!stopping.signal.aborted) {
      await pause(retryPeriodSeconds);
      if (stopping.signal.aborted) return;
      // Cut off at the renew deadline: a leader must know it lost the Lease before anyone can take it.
      // A renewal counts from when it was sent, since others may have seen the old record until then.
      const sentAt = Date.now();
      if (await attempt("renew", renewedAt + renewDeadlineSeconds * 1000 - sentAt)) {
        renewedAt = sentAt;
        continue;
      }
      if (stopping.signal.aborted) return;
      // Taken by another candidate (we saw their name) or not renewed in time: either way, we no longer lead.
      if (leader !== identity || Date.now() - renewedAt >= renewDeadlineSeconds * 1000) {
        llog.warn("lost the Lease; stopping the leader's work and rejoining the election", { lease, leader, sinceRenewMs: Date.now() - renewedAt });
        return;
      }
    }
  }

  async function lead(): Promise<void> {
    isLeader = true;
    llog.info("became the leader", { lease, identity, leaseTransitions: observed?.record?.leaseTransitions });
    const work = new AbortController();
    const running = Promise.resolve()
      .then(() => callbacks.onStartedLeading(work.signal))
      .catch((err: unknown) => llog.error("the leader's work failed", { error: describeError(err) }));
    await renew();
    work.abort();
    await running;
    isLeader = false;
    callbacks.onStoppedLeading?.();
  }

  async function release(): Promise<void> {
    if (!observed?.record || observed.record.holderIdentity !== identity) return;
    try {
      const body: V1Lease = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace, resourceVersion: observed.resourceVersion },
        spec: releasedLease(observed.record, Date.now()) as V1Lease["spec"],
      };
      // Not bound to `stopping`: this write is the point of stopping. The renew deadline still bounds it.
      await api.replaceNamespacedLease({ name, namespace, body }, withSignal(AbortSignal.timeout(renewDeadlineSeconds * 1000)));
      llog.info("released the Lease", { lease });
    } catch (err) {
      llog.warn("could not release the Lease; another replica takes over when it expires", { lease, error: describeError(err), leaseDurationSeconds });
    }
  }

  const done = (async () => {
    llog.info("joining the leader election", { lease, identity, leaseDurationSeconds, renewDeadlineSeconds, retryPeriodSeconds });
    while (!stopping.signal.aborted) {
      if (!(await acquire())) break;
      await lead();
    }
    await release();
  })();

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
