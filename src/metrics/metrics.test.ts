import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import { createServerMetrics } from "./metrics.js";

const entry = (verificationStatus: unknown, o: Record<string, unknown> = {}) =>
  ({ namespace: "n", name: "m", verificationStage: "image", verificationStatus, lastTransitionTime: "2025-06-01T12:00:00Z", ...o });

const pfvo = (name: string, status: unknown): PreflightValidationOCP =>
  ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: { releaseImage: "r" }, status }) as PreflightValidationOCP;

async function modules(list: readonly PreflightValidationOCP[] | undefined): Promise<Record<string, number>> {
  const m = createServerMetrics({ preflights: () => list });
  const metric = await m.registry.getSingleMetric("kmm_preflight_modules")!.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels["preflight"]}/${v.labels["verification_status"]}`, v.value]));
}

describe("kmm_preflight_modules", () => {
  it("counts entries by verificationStatus per PreflightValidationOCP, with a zero for every status", async () => {
    assert.deepEqual(await modules([pfvo("a", { modules: [entry("true"), entry("false"), entry("false")] }), pfvo("b", undefined)]), {
      "a/true": 1, "a/false": 2, "a/error": 0, "a/unknown": 0,
      "b/true": 0, "b/false": 0, "b/error": 0, "b/unknown": 0,
    });
  });

  it("survives whatever another writer put in status: a non-array, null entries, odd values count as unknown", async () => {
    assert.deepEqual(await modules([pfvo("a", { modules: "oops" })]), { "a/true": 0, "a/false": 0, "a/error": 0, "a/unknown": 0 });
    assert.deepEqual(await modules([pfvo("a", { modules: [null, 7, { verificationStatus: true }, { verificationStatus: "TRUE" }] })]), {
      "a/true": 0, "a/false": 0, "a/error": 0, "a/unknown": 4,
    });
  });

  it("counts an entry with a valid status but an invalid or missing field as unknown, as `kmm-preflight status` shows it (pending)", async () => {
    const malformed = [
      entry("true", { lastTransitionTime: undefined }),
      entry("false", { namespace: "" }),
      entry("error", { verificationStage: "compile" }),
      entry("true", { lastTransitionTime: "soon" }),
    ];
    assert.deepEqual(await modules([pfvo("a", { modules: [entry("true"), ...malformed] })]), { "a/true": 1, "a/false": 0, "a/error": 0, "a/unknown": 4 });
  });

  it("has no series before the cache has synced", async () => {
    assert.deepEqual(await modules(undefined), {});
  });

  it("is exported only where PreflightValidationOCPs can be read (a cluster is configured)", () => {
    assert.equal(createServerMetrics().registry.getSingleMetric("kmm_preflight_modules"), undefined);
  });
});

describe("kmm_preflight_leader", () => {
  it("starts at 0 and follows setLeader()", async () => {
    const m = createServerMetrics();
    const value = async () => (await m.registry.getSingleMetric("kmm_preflight_leader")!.get()).values[0]?.value;
    assert.equal(await value(), 0);
    m.setLeader(true);
    assert.equal(await value(), 1);
    m.setLeader(false);
    assert.equal(await value(), 0);
  });
});
