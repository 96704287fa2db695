// What a leader-election candidate does with the Lease it just read: pure, so every case is a table
// test. The semantics are client-go's resourcelock (tools/leaderelection): the holder renews; anyone
// else may take the Lease once it has gone unrenewed for leaseDurationSeconds, or once it is released.

/** The fields of coordination.k8s.io/v1 LeaseSpec that leader election reads and writes. */
export interface LeaseRecord {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  /** MicroTime (RFC 3339 with exactly six fractional digits). */
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

export interface LeaseTiming {
  /** How long a Lease is honoured without renewal (an int32 in the API). */
  readonly leaseDurationSeconds: number;
  /** The leader gives up when it could not renew for this long; must be below leaseDurationSeconds. */
  readonly renewDeadlineSeconds: number;
  /** Time between attempts to acquire or renew. */
  readonly retryPeriodSeconds: number;
}

/** client-go's defaults (and controller-runtime's). */
export const LEASE_TIMING_DEFAULTS: LeaseTiming = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };

/** client-go's JitterFactor: a candidate waits between 1 and 1 + JITTER retry periods, so candidates do not collide. */
export const JITTER = 1.2;

export const resolveLeaseTiming = (t: Partial<LeaseTiming>): LeaseTiming => ({
  leaseDurationSeconds: t.leaseDurationSeconds ?? LEASE_TIMING_DEFAULTS.leaseDurationSeconds,
  renewDeadlineSeconds: t.renewDeadlineSeconds ?? LEASE_TIMING_DEFAULTS.renewDeadlineSeconds,
  retryPeriodSeconds: t.retryPeriodSeconds ?? LEASE_TIMING_DEFAULTS.retryPeriodSeconds,
});

/** Why these timings cannot work (client-go's checks), or undefined. */
export function leaseTimingError(t: LeaseTiming): string | undefined {
  if (!(t.retryPeriodSeconds > 0)) return "the retry period must be positive";
  if (!Number.isInteger(t.leaseDurationSeconds)) return `the lease duration (${t.leaseDurationSeconds}s) must be a whole number of seconds`;
  if (t.renewDeadlineSeconds <= t.retryPeriodSeconds * JITTER) return `the renew deadline (${t.renewDeadlineSeconds}s) must exceed ${JITTER} x the retry period (${t.retryPeriodSeconds}s)`;
  if (t.leaseDurationSeconds <= t.renewDeadlineSeconds) return `the lease duration (${t.leaseDurationSeconds}s) must exceed the renew deadline (${t.renewDeadlineSeconds}s)`;
  return undefined;
}

export type LeaseStep =
  | { readonly kind: "create"; readonly record: LeaseRecord }
  /** Write `record` with the resourceVersion that was read; a 409 means another candidate won. */
  | { readonly kind: "update"; readonly record: LeaseRecord; readonly acquiring: boolean }
  | { readonly kind: "held"; readonly holder: string; readonly expiresInMs: number };

export interface LeaseContext {
  readonly identity: string;
  readonly leaseDurationSeconds: number;
  /** Wall-clock time, only for the acquireTime and renewTime written. */
  readonly nowMs: number;
  /**
   * How long ago this candidate last saw the record change, on its own monotonic clock. Expiry is
   * measured from here, never from the holder's renewTime, so neither clock skew between nodes nor a
   * wall-clock step on this one can hand the Lease to two pods.
   */
  readonly sinceObservedMs: number;
}

/** The API server's MicroTime format: Go parses exactly six fractional digits. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, "000Z");

export function nextLeaseStep(current: LeaseRecord | undefined, ctx: LeaseContext): LeaseStep {
  const now = microTime(ctx.nowMs);
  if (!current) {
    return { kind: "create", record: { holderIdentity: ctx.identity, leaseDurationSeconds: ctx.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } };
  }
  const holder = current.holderIdentity ?? "";
  if (holder === ctx.identity) {
    return { kind: "update", acquiring: false, record: { ...current, leaseDurationSeconds: ctx.leaseDurationSeconds, renewTime: now } };
  }
  // The holder's own duration decides how long it may go unrenewed; a released Lease (holder "") is free.
  const heldForMs = positiveOr(current.leaseDurationSeconds, ctx.leaseDurationSeconds) * 1000;
  if (holder !== "" && ctx.sinceObservedMs < heldForMs) return { kind: "held", holder, expiresInMs: heldForMs - ctx.sinceObservedMs };
  return {
    kind: "update",
    acquiring: true,
    record: { holderIdentity: ctx.identity, leaseDurationSeconds: ctx.leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: (current.leaseTransitions ?? 0) + 1 },
  };
}

/**
 * What the leader writes when it steps down: no holder, so a waiting candidate takes over at its next
 * retry instead of after a full lease duration. Transitions are kept (client-go does the same).
 */
export function releasedLease(current: LeaseRecord, nowMs: number): LeaseRecord {
  const now = microTime(nowMs);
  return { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.leaseTransitions ?? 0 };
}

/** A record is "seen to change" when any of its fields differs; the timestamp then restarts. */
export function sameLeaseRecord(a: LeaseRecord | undefined, b: LeaseRecord | undefined): boolean {
  if (!a || !b) return a === b;
  return a.holderIdentity === b.holderIdentity && a.leaseDurationSeconds === b.leaseDurationSeconds && a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime && a.leaseTransitions === b.leaseTransitions;
}

const positiveOr = (n: number | undefined, fallback: number) => (typeof n === "number" && n > 0 ? n : fallback);
