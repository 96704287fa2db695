import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import { DIGEST, moduleWith, validModule } from "./test-modules.js";
import * as sut from "./module-preflight.js";

const EL9_4 = "5.14.0-427.26.1.el9_4.x86_64";
const RHCOS_RT = "5.14.0-427.26.1.el9_4.x86_64+rt";
const RELEASE = `quay.io/openshift-release-dev/ocp-release@${DIGEST}`;

function pfvo(name: string, kernel: string | undefined, extra: Partial<PreflightValidationOCP["metadata"]> = {}): PreflightValidationOCP {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name, ...extra },
    spec: { releaseImage: RELEASE },
    ...(kernel !== undefined && { status: { kernelVersion: kernel } }),
  };
}

/** A Module that only knows el9_2 kernels. */
const el92Only = () => moduleWith((m) => m.spec.moduleLoader.container.kernelMappings.splice(1));

describe("modulePreflightFindings()", () => {
  describe("given a Module with a mapping for every kernel", () => {
    it("finds nothing", () => {
      const withRt = moduleWith((m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = "^5\\.14\\.0-.*\\.el9_\\d+\\.x86_64(\\+rt)?$"));
      assert.deepEqual(sut.modulePreflightFindings(withRt, [pfvo("a", EL9_4), pfvo("rt", RHCOS_RT)]), []);
    });
  });

  describe("given a regexp anchored before the real-time kernel's +rt", () => {
    it("finds the RT release's kernel unmatched", () => {
      assert.deepEqual(sut.modulePreflightFindings(validModule(), [pfvo("a", EL9_4), pfvo("rt", RHCOS_RT)]).map((f) => [f.preflight, f.kernel]), [["rt", RHCOS_RT]]);
    });
  });

  describe("given a kernel no mapping matches", () => {
    it("says which Module, release, PreflightValidationOCP and kernel, and gives a Required error at kernelMappings", () => {
      const [f, ...rest] = sut.modulePreflightFindings(el92Only(), [pfvo("upgrade-4-16", EL9_4)]);
      assert.deepEqual(rest, []);
      assert.equal(f!.preflight, "upgrade-4-16");
      assert.equal(f!.kernel, EL9_4);
      assert.equal(
        f!.warning,
        `Module drivers/my-driver will fail preflight for release quay.io/openshift-release-dev/ocp-release@sha256:22e149142517… (PreflightValidationOCP upgrade-4-16): no kernelMappings entry matches kernel ${EL9_4}`,
      );
      assert.ok(f!.warning.length <= 256, "the API server may cut longer warnings");
      assert.deepEqual(f!.errors.map((e) => [e.type, e.field]), [["Required", "spec.moduleLoader.container.kernelMappings"]]);
    });
  });

  describe("given a mapping that matches but gives no image for the kernel", () => {
    it("reports the mapping's missing image at its field", () => {
      const m = moduleWith((m) => (m.spec.moduleLoader.container.kernelMappings[1].containerImage = ""));
      const [f] = sut.modulePreflightFindings(m, [pfvo("p", EL9_4)]);
      assert.match(f!.warning, /the mapping for kernel 5\.14\.0-427\.26\.1\.el9_4\.x86_64 gives no image: spec\.moduleLoader\.container\.kernelMappings\[1\]\.containerImage: Required value/);
      assert.deepEqual(f!.errors.map((e) => [e.type, e.field]), [["Required", "spec.moduleLoader.container.kernelMappings[1].containerImage"]]);
      assert.match(f!.errors[0]!.detail, /^for kernel 5\.14\.0-427\.26\.1\.el9_4\.x86_64 \(PreflightValidationOCP p\): /);
    });

    it("reports an image that is valid for most kernels but not for this one", () => {
      const long = `5.14.0-${"1".repeat(130)}.el9.x86_64`;
      const m = moduleWith((m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = "^5\\.14"));
      const [f] = sut.modulePreflightFindings(m, [pfvo("p", long)]);
      assert.deepEqual(f!.errors.map((e) => [e.type, e.field]), [["Invalid", "spec.moduleLoader.container.kernelMappings[1].containerImage"]]);
    });
  });

  describe("given PreflightValidationOCPs whose kernel is not known or not usable", () => {
    for (const [what, p] of [
      ["no status yet", pfvo("p", undefined)],
      ["an empty kernel", pfvo("p", "")],
      ["a kernel of two fields", pfvo("p", "5.14")],
      ["an object being deleted", pfvo("p", EL9_4, { deletionTimestamp: "2026-01-01T00:00:00Z" })],
    ] as const) {
      it(`skips ${what}`, () => assert.deepEqual(sut.modulePreflightFindings(el92Only(), [p]), []));
    }
  });

  describe("given several PreflightValidationOCPs", () => {
    it("finds one per failing one, in order", () => {
      const found = sut.modulePreflightFindings(el92Only(), [pfvo("b", RHCOS_RT), pfvo("ok", "5.14.0-284.25.1.el9_2.x86_64"), pfvo("a", EL9_4)]);
      assert.deepEqual(found.map((f) => f.preflight), ["b", "a"]);
    });
  });

  describe("given a Module without moduleLoader", () => {
    it("finds nothing to check", () => assert.deepEqual(sut.modulePreflightFindings(moduleWith((m) => delete m.spec.moduleLoader), [pfvo("p", EL9_4)]), []));
  });
});

describe("shortRelease()", () => {
  it("shortens a digest and leaves tags alone", () => {
    assert.equal(sut.shortRelease(RELEASE), "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517…");
    assert.equal(sut.shortRelease("quay.io/ocp/release:4.16.3"), "quay.io/ocp/release:4.16.3");
  });
});
