import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import * as sut from "./preflight-warnings.js";

const DIGEST = "sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const BY_DIGEST = `quay.io/openshift-release-dev/ocp-release@${DIGEST}`;
const BY_TAG = "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64";
const BY_TAG_AND_DIGEST = `quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64@${DIGEST}`;

function pfvo(name: string, spec: Record<string, unknown>): PreflightValidationOCP {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name },
    spec: spec as unknown as PreflightValidationOCP["spec"],
  };
}

describe("releaseImageWarnings()", () => {
  describe("given a reference pinned by digest with a registry", () => {
    it("warns about nothing", () => {
      assert.deepEqual(sut.releaseImageWarnings(BY_DIGEST), []);
    });
  });

  describe("given a reference with a tag and a digest", () => {
    it("warns about nothing (the digest wins)", () => {
      assert.deepEqual(sut.releaseImageWarnings(BY_TAG_AND_DIGEST), []);
    });
  });

  describe("given a reference by tag", () => {
    it("warns once, about the tag", () => {
      const w = sut.releaseImageWarnings(BY_TAG);
      assert.equal(w.length, 1);
      assert.match(w[0]!, /spec\.releaseImage/);
      assert.match(w[0]!, /4\.16\.3-x86_64/);
      assert.match(w[0]!, /digest/);
    });
  });

  describe("given a reference with neither tag nor digest", () => {
    it("warns that it means latest", () => {
      const w = sut.releaseImageWarnings("quay.io/openshift-release-dev/ocp-release");
      assert.equal(w.length, 1);
      assert.match(w[0]!, /latest/);
    });
  });

  describe("given a reference with no registry", () => {
    it("warns about the implied registry", () => {
      const w = sut.releaseImageWarnings(`openshift-release-dev/ocp-release@${DIGEST}`);
      assert.equal(w.length, 1);
      assert.match(w[0]!, /docker\.io/);
    });

    it("warns about both the registry and the tag when it has a tag", () => {
      assert.equal(sut.releaseImageWarnings("ocp-release:4.16").length, 2);
    });
  });

  describe("given an invalid reference", () => {
    it("warns about nothing (validation reports it)", () => {
      assert.deepEqual(sut.releaseImageWarnings("quay.io/OCP release:4"), []);
      assert.deepEqual(sut.releaseImageWarnings(""), []);
    });
  });

  describe("given a value that is not a string", () => {
    for (const v of [undefined, null, 42, {}, [BY_TAG]]) {
      it(`warns about nothing for ${JSON.stringify(v) ?? "undefined"}`, () => {
        assert.deepEqual(sut.releaseImageWarnings(v), []);
      });
    }
  });
});

describe("duplicateTargetWarnings()", () => {
  const mine = pfvo("mine", { releaseImage: BY_DIGEST });

  describe("given another object with the same release image and kernel flavour", () => {
    it("warns, naming it", () => {
      const w = sut.duplicateTargetWarnings(mine, [pfvo("theirs", { releaseImage: BY_DIGEST })]);
      assert.equal(w.length, 1);
      assert.match(w[0]!, /"theirs"/);
    });

    it("treats absent and false useRTKernel as the same flavour", () => {
      const w = sut.duplicateTargetWarnings(pfvo("mine", { releaseImage: BY_DIGEST, useRTKernel: false }), [pfvo("theirs", { releaseImage: BY_DIGEST })]);
      assert.equal(w.length, 1);
    });

    it("warns for two real-time objects", () => {
      const w = sut.duplicateTargetWarnings(pfvo("mine", { releaseImage: BY_DIGEST, useRTKernel: true }), [pfvo("theirs", { releaseImage: BY_DIGEST, useRTKernel: true })]);
      assert.equal(w.length, 1);
      assert.match(w[0]!, /"theirs"/);
    });
  });

  describe("given several duplicates", () => {
    it("warns once for each, naming each", () => {
      const w = sut.duplicateTargetWarnings(mine, [pfvo("a", { releaseImage: BY_DIGEST }), pfvo("b", { releaseImage: BY_TAG }), pfvo("c", { releaseImage: BY_DIGEST })]);
      assert.equal(w.length, 2);
      assert.match(w[0]!, /"a"/);
      assert.match(w[1]!, /"c"/);
    });
  });

  describe("given the same release image but another kernel flavour", () => {
    it("warns about nothing", () => {
      assert.deepEqual(sut.duplicateTargetWarnings(mine, [pfvo("rt", { releaseImage: BY_DIGEST, useRTKernel: true })]), []);
      assert.deepEqual(sut.duplicateTargetWarnings(pfvo("rt", { releaseImage: BY_DIGEST, useRTKernel: true }), [mine]), []);
    });
  });

  describe("given another release image", () => {
    it("warns about nothing", () => {
      assert.deepEqual(sut.duplicateTargetWarnings(mine, [pfvo("theirs", { releaseImage: BY_TAG })]), []);
    });
  });

  describe("given the object itself in the list", () => {
    it("does not warn about itself", () => {
      assert.deepEqual(sut.duplicateTargetWarnings(mine, [structuredClone(mine)]), []);
    });
  });

  describe("given an empty list", () => {
    it("warns about nothing", () => {
      assert.deepEqual(sut.duplicateTargetWarnings(mine, []), []);
    });
  });

  describe("given an unknown cluster (undefined)", () => {
    it("warns about nothing and does not throw", () => {
      assert.deepEqual(sut.duplicateTargetWarnings(mine, undefined), []);
    });
  });

  describe("given an object whose releaseImage is not a string", () => {
    it("warns about nothing", () => {
      assert.deepEqual(sut.duplicateTargetWarnings(pfvo("mine", {}), [pfvo("theirs", {})]), []);
    });
  });

  describe("given an object created with generateName", () => {
    it("warns about an existing duplicate", () => {
      const o: PreflightValidationOCP = { ...mine, metadata: { generateName: "pfvo-" } };
      assert.equal(sut.duplicateTargetWarnings(o, [pfvo("theirs", { releaseImage: BY_DIGEST })]).length, 1);
    });
  });
});
