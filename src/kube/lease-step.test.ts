import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LEASE_TIMING_DEFAULTS, type LeaseContext, leaseTimingError, microTime, nextLeaseStep, releasedLease, resolveLeaseTiming, sameLeaseRecord } from "./lease-step.js";

const T0 = Date.parse("2026-11-25T10:00:00.000Z");
const ctx = (over: Partial<LeaseContext> = {}): LeaseContext => ({ identity: "me", leaseDurationSeconds: 15, nowMs: T0, sinceObservedMs: 0, ...over });
const held = (holder: string, extra = {}) => ({ holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: microTime(T0 - 60_000), renewTime: microTime(T0 - 1000), leaseTransitions: 3, ...extra });

describe("microTime()", () => {
  it("writes exactly six fractional digits, as the API server's MicroTime requires", () => {
    assert.equal(microTime(Date.parse("2026-11-25T10:00:00.123Z")), "2026-11-25T10:00:00.123000Z");
    assert.match(microTime(T0), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
});

describe("nextLeaseStep()", () => {
  it("creates a missing Lease with this candidate as holder and no transitions", () => {
    assert.deepEqual(nextLeaseStep(undefined, ctx()), {
      kind: "create",
      record: { holderIdentity: "me", leaseDurationSeconds: 15, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 0 },
    });
  });

  it("renews its own Lease: new renewTime, acquireTime and transitions kept", () => {
    const step = nextLeaseStep(held("me"), ctx());
    assert.equal(step.kind, "update");
    assert.ok(step.kind === "update");
    assert.equal(step.acquiring, false);
    assert.deepEqual(step.record, { ...held("me"), renewTime: microTime(T0) });
  });

  it("keeps fields it does not manage when renewing (a newer API server's preferredHolder, strategy)", () => {
    const step = nextLeaseStep({ ...held("me"), strategy: "OldestEmulationVersion" } as never, ctx());
    assert.ok(step.kind === "update");
    assert.equal((step.record as Record<string, unknown>)["strategy"], "OldestEmulationVersion");
  });

  it("waits while another holder's Lease is fresh, measured from when this candidate saw it change", () => {
    const step = nextLeaseStep(held("other"), ctx({ sinceObservedMs: 14_000 }));
    assert.deepEqual(step, { kind: "held", holder: "other", expiresInMs: 1000 });
  });

  it("ignores the holder's renewTime: a skewed clock on the holder's node cannot make the Lease look expired", () => {
    const step = nextLeaseStep(held("other", { renewTime: microTime(T0 - 3_600_000) }), ctx({ sinceObservedMs: 1000 }));
    assert.equal(step.kind, "held");
  });

  it("takes over a Lease unrenewed for its duration, counting a transition", () => {
    const step = nextLeaseStep(held("other"), ctx({ sinceObservedMs: 15_000 }));
    assert.deepEqual(step, {
      kind: "update",
      acquiring: true,
      record: { holderIdentity: "me", leaseDurationSeconds: 15, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 4 },
    });
  });

  it("honours the holder's own lease duration, not this candidate's", () => {
    assert.equal(nextLeaseStep(held("other", { leaseDurationSeconds: 60 }), ctx({ sinceObservedMs: 30_000 })).kind, "held");
    assert.equal(nextLeaseStep(held("other", { leaseDurationSeconds: 60 }), ctx({ sinceObservedMs: 60_000 })).kind, "update");
  });

  it("falls back to its own duration when the holder's is missing or not positive", () => {
    for (const leaseDurationSeconds of [undefined, 0, -5]) {
      assert.equal(nextLeaseStep(held("other", { leaseDurationSeconds }), ctx({ sinceObservedMs: 14_000 })).kind, "held", String(leaseDurationSeconds));
      assert.equal(nextLeaseStep(held("other", { leaseDurationSeconds }), ctx({ sinceObservedMs: 15_000 })).kind, "update", String(leaseDurationSeconds));
    }
  });

  it("takes a released Lease (empty or missing holder) at once", () => {
    for (const rec of [held(""), { leaseTransitions: 2 }, {}]) {
      const step = nextLeaseStep(rec, ctx());
      assert.ok(step.kind === "update" && step.acquiring, JSON.stringify(rec));
      assert.equal(step.record.holderIdentity, "me");
    }
  });
});

describe("releasedLease()", () => {
  it("clears the holder, shortens the duration to 1 s and keeps the transition count", () => {
    assert.deepEqual(releasedLease(held("me"), T0), { holderIdentity: "", leaseDurationSeconds: 1, acquireTime: microTime(T0), renewTime: microTime(T0), leaseTransitions: 3 });
  });
});

describe("sameLeaseRecord()", () => {
  it("compares every managed field", () => {
    assert.ok(sameLeaseRecord(held("a"), held("a")));
    assert.ok(sameLeaseRecord(undefined, undefined));
    assert.ok(!sameLeaseRecord(held("a"), undefined));
    for (const change of [{ holderIdentity: "b" }, { leaseDurationSeconds: 1 }, { acquireTime: "x" }, { renewTime: "x" }, { leaseTransitions: 9 }]) {
      assert.ok(!sameLeaseRecord(held("a"), held("a", change)), JSON.stringify(change));
    }
  });
});

describe("leaseTimingError()", () => {
  it("accepts client-go's defaults", () => assert.equal(leaseTimingError(LEASE_TIMING_DEFAULTS), undefined));
  it("rejects timings that would let two leaders overlap or never renew in time", () => {
    const t = (over: object) => leaseTimingError(resolveLeaseTiming(over));
    assert.match(t({ leaseDurationSeconds: 10, renewDeadlineSeconds: 10 })!, /lease duration \(10s\) must exceed the renew deadline \(10s\)/);
    assert.match(t({ renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })!, /renew deadline \(2s\) must exceed 1.2 x the retry period \(2s\)/);
    assert.match(t({ retryPeriodSeconds: 0 })!, /retry period must be positive/);
    assert.match(t({ leaseDurationSeconds: 15.5 })!, /whole number of seconds/);
  });
  it("fills what is not given from the defaults", () => {
    assert.deepEqual(resolveLeaseTiming({ retryPeriodSeconds: 1 }), { ...LEASE_TIMING_DEFAULTS, retryPeriodSeconds: 1 });
  });
});
