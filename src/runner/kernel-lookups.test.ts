import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import { captureLog } from "../../test/support/captured-log.js";
import { FakeClock } from "../../test/support/fake-clock.js";
import * as sut from "./kernel-lookups.js";

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const pfvo = (name: string): PreflightValidationOCP => ({
  apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
  kind: "PreflightValidationOCP",
  metadata: { name },
  spec: { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false },
});

describe("KernelLookups", () => {
  describe("given a release whose kernel cannot be read, then can", () => {
    it("logs why at warn on each failure, with the retry, and its recovery at info", async () => {
      const clock = new FakeClock();
      const { log, lines } = captureLog();
      let fail = true;
      const lookups = new sut.KernelLookups({
        source: async () => {
          if (fail) throw new Error("cannot resolve quay.io");
          return "5.14.0-427.26.1.el9_4.x86_64";
        },
        onSettled: () => {},
        clock,
        log,
        retryBackoff: { initialMs: 1000, maxMs: 4000 },
      });
      assert.deepEqual(lookups.state(pfvo("a")), { kind: "pending" });
      await clock.advance(0);
      assert.equal(lookups.state(pfvo("a")).kind, "failed");
      const warned = lines.filter((l) => l["level"] === "warn");
      assert.equal(warned.length, 1);
      assert.deepEqual([warned[0]!["releaseImage"], warned[0]!["error"], warned[0]!["failures"], warned[0]!["retryInMs"]], [RELEASE, "cannot resolve quay.io", 1, 1000]);

      fail = false;
      await clock.advance(1000);
      lookups.state(pfvo("a"));
      await clock.advance(0);
      assert.deepEqual(lookups.state(pfvo("a")), { kind: "known", kernel: "5.14.0-427.26.1.el9_4.x86_64" });
      const recovered = lines.filter((l) => l["level"] === "info");
      assert.deepEqual(recovered.map((l) => [l["releaseImage"], l["kernel"]]), [[RELEASE, "5.14.0-427.26.1.el9_4.x86_64"]]);
    });
  });
});
