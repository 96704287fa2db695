import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MAX_KERNEL_VERSION_LENGTH, type PreflightValidationOCP } from "../api/index.js";
import { captureLog } from "../../test/support/captured-log.js";
import { FakeClock } from "../../test/support/fake-clock.js";
import * as sut from "./kernel-lookups.js";

const KERNEL = "5.14.0-427.13.1.el9_4.x86_64";
const BY_DIGEST = `quay.io/openshift-release-dev/ocp-release@sha256:${"a".repeat(64)}`;
const BY_TAG = "registry.example.com/ocp/release:4.16-nightly";

const pfvo = (name: string, releaseImage: string, kernelVersion?: string): PreflightValidationOCP => ({
  apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
  kind: "PreflightValidationOCP",
  metadata: { name, uid: `${name}-uid` },
  spec: { releaseImage },
  ...(kernelVersion && { status: { kernelVersion } }),
});

/** Lookups over a source that answers from `answers` in turn (an Error is thrown), counting its calls. */
function harness(answers: (string | Error)[]) {
  const clock = new FakeClock();
  const calls: string[] = [];
  const settled: string[] = [];
  const { log, lines } = captureLog();
  const lookups = new sut.KernelLookups({
    clock,
    log,
    retryBackoff: { initialMs: 5000, maxMs: 20_000 },
    onSettled: (name) => settled.push(name),
    source: async (releaseImage) => {
      calls.push(releaseImage);
      const a = answers.shift() ?? KERNEL;
      if (a instanceof Error) throw a;
      return a;
    },
  });
  return { clock, calls, settled, lookups, lines };
}

describe("KernelLookups", () => {
  describe("given a release that cannot be read", () => {
    it("is failed with the reason, retried only after a backoff that doubles, and known once the registry answers", async () => {
      const h = harness([new Error("registry unreachable"), new Error("registry unreachable")]);
      const pf = pfvo("upgrade", BY_DIGEST);
      assert.deepEqual(h.lookups.state(pf), { kind: "pending" });
      await h.clock.advance(0);
      const failed = h.lookups.state(pf);
      assert.equal(failed.kind, "failed");
      assert.match(failed.kind === "failed" ? failed.reason : "", /cannot tell the kernel of .*: registry unreachable/);
      await h.clock.advance(4999);
      h.lookups.state(pf);
      assert.equal(h.calls.length, 1, "not retried before the backoff");
      await h.clock.advance(1);
      assert.ok(h.settled.includes("upgrade"), "the PFVO is queued when its retry falls due");
      assert.equal(h.lookups.state(pf).kind, "failed", "the last failure stands while the retry runs");
      await h.clock.advance(9999);
      h.lookups.state(pf);
      assert.equal(h.calls.length, 2, "the second retry waits twice as long");
      await h.clock.advance(1);
      h.lookups.state(pf);
      await h.clock.advance(0);
      assert.deepEqual(h.lookups.state(pf), { kind: "known", kernel: KERNEL });
      assert.equal(h.calls.length, 3);
    });
  });

  // The status says it per Module; an operator reads the log (the README: "the server's log says why").
  describe("given a release that cannot be read, then can", () => {
    it("logs why at warn on each failure, with the retry, and its recovery at info", async () => {
      const h = harness([new Error("cannot resolve quay.io")]);
      const pf = pfvo("upgrade", BY_DIGEST);
      h.lookups.state(pf);
      await h.clock.advance(0);
      const warned = h.lines.filter((l) => l["level"] === "warn");
      assert.deepEqual(warned.map((l) => [l["releaseImage"], l["error"], l["failures"], l["retryInMs"]]), [[BY_DIGEST, "cannot resolve quay.io", 1, 5000]]);
      await h.clock.advance(5000);
      h.lookups.state(pf);
      await h.clock.advance(0);
      assert.deepEqual(h.lookups.state(pf), { kind: "known", kernel: KERNEL });
      assert.deepEqual(h.lines.filter((l) => l["level"] === "info").map((l) => [l["releaseImage"], l["kernel"]]), [[BY_DIGEST, KERNEL]]);
    });
  });

  describe("given a release that names something that is not a kernel version", () => {
    it("is failed, saying so", async () => {
      const h = harness(["tesdt"]);
      h.lookups.state(pfvo("upgrade", BY_DIGEST));
      await h.clock.advance(0);
      const s = h.lookups.state(pfvo("upgrade", BY_DIGEST));
      assert.match(s.kind === "failed" ? s.reason : "", /"tesdt", which is not a kernel version/);
    });
  });

  describe("given the kernel recorded in the status", () => {
    it("never reads the release", () => {
      const h = harness([]);
      assert.deepEqual(h.lookups.state(pfvo("upgrade", BY_DIGEST, KERNEL)), { kind: "known", kernel: KERNEL });
      assert.equal(h.calls.length, 0);
    });
  });

  describe("given two PreflightValidationOCPs naming one release", () => {
    it("reads a release pinned by digest once for both", async () => {
      const h = harness([]);
      h.lookups.state(pfvo("a", BY_DIGEST));
      await h.clock.advance(0);
      assert.deepEqual(h.lookups.state(pfvo("b", BY_DIGEST)), { kind: "known", kernel: KERNEL });
      assert.equal(h.calls.length, 1);
    });

    it("reads a release named by tag for each PreflightValidationOCP: the tag may have moved since", async () => {
      const h = harness([KERNEL, "5.14.0-500.1.1.el9_5.x86_64"]);
      h.lookups.state(pfvo("a", BY_TAG));
      await h.clock.advance(0);
      assert.deepEqual(h.lookups.state(pfvo("a", BY_TAG)), { kind: "known", kernel: KERNEL });
      h.lookups.state(pfvo("b", BY_TAG));
      await h.clock.advance(0);
      assert.deepEqual(h.lookups.state(pfvo("b", BY_TAG)), { kind: "known", kernel: "5.14.0-500.1.1.el9_5.x86_64" });
      assert.equal(h.calls.length, 2);
    });
  });

  // status.kernelVersion is at most MAX_KERNEL_VERSION_LENGTH characters: a longer kernel from a broken
  // or hostile release made every status write fail (422) forever, and the status never moved.
  describe("given a release that names a kernel longer than status.kernelVersion holds", () => {
    it("fails the lookup, saying so, instead of knowing it", async () => {
      const h = harness([`5.14.0-${"1".repeat(MAX_KERNEL_VERSION_LENGTH)}.el9.x86_64`]);
      h.lookups.state(pfvo("a", BY_DIGEST));
      await h.clock.advance(0);
      const state = h.lookups.state(pfvo("a", BY_DIGEST));
      assert.equal(state.kind, "failed");
      assert.match(state.kind === "failed" ? state.reason : "", new RegExp(`at most ${MAX_KERNEL_VERSION_LENGTH} characters`));
    });
  });
});
