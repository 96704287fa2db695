import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import * as sut from "./preflight-defaults.js";

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";

function pfvo(spec: Record<string, unknown> | unknown, extra: Partial<PreflightValidationOCP> = {}): PreflightValidationOCP {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name: "preflight", labels: { a: "b" } },
    spec: spec as PreflightValidationOCP["spec"],
    ...extra,
  };
}

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

describe("applyPreflightDefaults()", () => {
  describe("given a spec with only releaseImage", () => {
    it("sets pushBuiltImage and useRTKernel to false", () => {
      const out = sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE }));
      assert.deepEqual(out.spec, { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false });
    });
  });

  describe("given null flags", () => {
    it("treats null as absent and sets false", () => {
      const out = sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE, pushBuiltImage: null, useRTKernel: null }));
      assert.deepEqual(out.spec, { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false });
    });
  });

  describe("given explicit true flags", () => {
    it("keeps them", () => {
      const out = sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE, pushBuiltImage: true, useRTKernel: true }));
      assert.deepEqual(out.spec, { releaseImage: RELEASE, pushBuiltImage: true, useRTKernel: true });
    });
  });

  describe("given explicit false flags", () => {
    it("keeps them", () => {
      const out = sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false }));
      assert.deepEqual(out.spec, { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false });
    });
  });

  describe("given one flag set and the other absent", () => {
    it("defaults only the absent one", () => {
      assert.deepEqual(sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE, useRTKernel: true })).spec, {
        releaseImage: RELEASE,
        pushBuiltImage: false,
        useRTKernel: true,
      });
      assert.deepEqual(sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE, pushBuiltImage: true })).spec, {
        releaseImage: RELEASE,
        pushBuiltImage: true,
        useRTKernel: false,
      });
    });
  });

  describe("given invalid values", () => {
    it("leaves them for validation to report (defaulting never validates)", () => {
      const spec = { releaseImage: "Not An Image", pushBuiltImage: "true", useRTKernel: 0, relaseImage: "x" };
      const out = sut.applyPreflightDefaults(pfvo(spec));
      assert.deepEqual(out.spec, spec);
    });

    it("does not add a missing releaseImage", () => {
      const out = sut.applyPreflightDefaults(pfvo({}));
      assert.deepEqual(out.spec, { pushBuiltImage: false, useRTKernel: false });
    });
  });

  describe("given a spec that is not an object", () => {
    for (const spec of [undefined, null, "x", 42, true, [1, 2]]) {
      it(`returns the object unchanged for spec ${JSON.stringify(spec) ?? "undefined"}`, () => {
        const o = pfvo(spec);
        const out = sut.applyPreflightDefaults(o);
        assert.deepEqual(out, o);
        assert.deepEqual(out.spec, spec);
      });
    }
  });

  describe("given an object with status and metadata", () => {
    it("never touches them", () => {
      const status = { modules: [{ namespace: "ns", name: "m", lastTransitionTime: "2024-01-01T00:00:00Z", verificationStage: "image" as const, verificationStatus: "true" as const }] };
      const o = pfvo({ releaseImage: RELEASE }, { status });
      const out = sut.applyPreflightDefaults(o);
      assert.deepEqual(out.status, o.status);
      assert.deepEqual(out.metadata, o.metadata);
      assert.equal(out.apiVersion, o.apiVersion);
      assert.equal(out.kind, o.kind);
    });

    it("adds no status to an object that has none", () => {
      const out = sut.applyPreflightDefaults(pfvo({ releaseImage: RELEASE }));
      assert.equal("status" in out, false);
    });
  });

  describe("given a frozen object", () => {
    it("does not modify its input (pure)", () => {
      const o = deepFreeze(pfvo({ releaseImage: RELEASE }));
      const before = structuredClone(o);
      const out = sut.applyPreflightDefaults(o);
      assert.deepEqual(o, before);
      assert.notEqual(out, o);
    });
  });

  describe("given the result of a previous call", () => {
    for (const spec of [{ releaseImage: RELEASE }, { releaseImage: RELEASE, useRTKernel: true }, { releaseImage: RELEASE, pushBuiltImage: null }, {}, null]) {
      it(`is idempotent for spec ${JSON.stringify(spec)}`, () => {
        const once = sut.applyPreflightDefaults(pfvo(spec));
        const twice = sut.applyPreflightDefaults(once);
        assert.deepEqual(twice, once);
      });
    }
  });
});
