import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_KERNEL_VERSION_LENGTH, type PreflightValidationOCP } from "../api/index.js";
import { FakeClock } from "../../test/support/fake-clock.js";
import * as sut from "./kernel-lookups.js";

const pf = { metadata: { name: "upgrade" }, spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64" } } as PreflightValidationOCP;

/** The state once the lookup from `source` has settled. */
async function settled(source: sut.KernelSource) {
  let done!: () => void;
  const told = new Promise<void>((resolve) => (done = resolve));
  const lookups = new sut.KernelLookups({ source, onSettled: () => done(), clock: new FakeClock() });
  assert.deepEqual(lookups.state(pf), { kind: "pending" });
  await told;
  return lookups.state(pf);
}

describe("KernelLookups", () => {
  describe("given a release that names a kernel", () => {
    it("knows it", async () => {
      assert.deepEqual(await settled(async () => "5.14.0-427.13.1.el9_4.x86_64"), { kind: "known", kernel: "5.14.0-427.13.1.el9_4.x86_64" });
    });
  });

  // status.kernelVersion is at most MAX_KERNEL_VERSION_LENGTH characters: a longer kernel from a broken
  // or hostile release made every status write fail (422) forever, and the status never moved.
  describe("given a release that names a kernel longer than status.kernelVersion holds", () => {
    it("fails the lookup, saying so, instead of knowing it", async () => {
      const state = await settled(async () => `5.14.0-${"1".repeat(MAX_KERNEL_VERSION_LENGTH)}.el9.x86_64`);
      assert.equal(state.kind, "failed");
      assert.match(state.kind === "failed" ? state.reason : "", new RegExp(`at most ${MAX_KERNEL_VERSION_LENGTH} characters`));
    });
  });
});
