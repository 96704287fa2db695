import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import type { FieldError } from "../validation/field-error.js";
import * as sut from "./preflight-webhook.js";

const DIGEST = "sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const BY_DIGEST = `quay.io/openshift-release-dev/ocp-release@${DIGEST}`;
const BY_TAG = "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

function pfvo(name: string, spec: Record<string, unknown>): PreflightValidationOCP {
  return { apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: spec as unknown as PreflightValidationOCP["spec"] };
}

const listing = (items: readonly PreflightValidationOCP[] | undefined): sut.PreflightLister & { calls: number } => {
  const l = {
    calls: 0,
    list() {
      l.calls++;
      return items;
    },
  };
  return l;
};

describe("preflightDefaulter", () => {
  describe("given a spec without the booleans", () => {
    it("fills both in as false and keeps the release image", () => {
      assert.deepEqual(sut.preflightDefaulter(pfvo("p", { releaseImage: BY_DIGEST })).spec, { releaseImage: BY_DIGEST, pushBuiltImage: false, useRTKernel: false });
    });
  });
});

describe("preflightValidator()", () => {
  describe("validateCreate()", () => {
    describe("given a valid object pinned by digest", () => {
      it("allows it without warnings", () => {
        const v = sut.preflightValidator().validateCreate(pfvo("p", { releaseImage: BY_DIGEST, pushBuiltImage: true }));
        assert.deepEqual(v, { errors: [], warnings: [] });
      });
    });

    describe("given a valid object referenced by tag", () => {
      it("allows it with a warning", () => {
        const v = sut.preflightValidator().validateCreate(pfvo("p", { releaseImage: BY_TAG }));
        assert.deepEqual(v.errors, []);
        assert.equal(v.warnings.length, 1);
        assert.match(v.warnings[0]!, /spec\.releaseImage/);
      });
    });

    describe("given an invalid object", () => {
      it("returns every error", () => {
        const v = sut.preflightValidator().validateCreate(pfvo("Bad_Name", { relaseImage: BY_TAG, useRTKernel: "true" }));
        assert.deepEqual(typesAndFields(v.errors), [
          ["Invalid", "metadata.name"],
          ["Required", "spec.releaseImage"],
          ["Invalid", "spec.useRTKernel"],
          ["Forbidden", "spec.relaseImage"],
        ]);
      });
    });

    describe("given another object validating the same release and kernel", () => {
      it("warns, naming it", () => {
        const v = sut.preflightValidator(listing([pfvo("existing", { releaseImage: BY_DIGEST })])).validateCreate(pfvo("p", { releaseImage: BY_DIGEST }));
        assert.deepEqual(v.errors, []);
        assert.equal(v.warnings.length, 1);
        assert.match(v.warnings[0]!, /"existing"/);
      });

      it("gives both the tag and the duplicate warnings", () => {
        const v = sut.preflightValidator(listing([pfvo("existing", { releaseImage: BY_TAG })])).validateCreate(pfvo("p", { releaseImage: BY_TAG }));
        assert.equal(v.warnings.length, 2);
      });
    });

    describe("given another object with the same release but the other kernel flavour", () => {
      it("does not warn", () => {
        const v = sut.preflightValidator(listing([pfvo("rt", { releaseImage: BY_DIGEST, useRTKernel: true })])).validateCreate(pfvo("p", { releaseImage: BY_DIGEST }));
        assert.deepEqual(v, { errors: [], warnings: [] });
      });
    });

    describe("given a list holding the object itself", () => {
      it("does not warn about itself", () => {
        const o = pfvo("p", { releaseImage: BY_DIGEST });
        assert.deepEqual(sut.preflightValidator(listing([o])).validateCreate(o), { errors: [], warnings: [] });
      });
    });

    describe("given a lister that returns undefined", () => {
      it("allows without a duplicate warning and without throwing", () => {
        const l = listing(undefined);
        const v = sut.preflightValidator(l).validateCreate(pfvo("p", { releaseImage: BY_DIGEST }));
        assert.deepEqual(v, { errors: [], warnings: [] });
      });
    });

    describe("given a lister that throws", () => {
      it("allows without the duplicate warning, keeps the other warnings, and reports the failure", () => {
        const failures: unknown[] = [];
        const throwing = { list: () => { throw new Error("cache broken"); } };
        const v = sut.preflightValidator(throwing, { onLookupError: (e) => failures.push(e) }).validateCreate(pfvo("p", { releaseImage: BY_TAG }));
        assert.deepEqual(v.errors, []);
        assert.equal(v.warnings.length, 1);
        assert.match(v.warnings[0]!, /pin the release by digest/);
        assert.deepEqual(failures.map((e) => (e as Error).message), ["cache broken"]);
      });
    });

    describe("given no lister", () => {
      it("uses NO_CLUSTER", () => {
        assert.deepEqual(sut.preflightValidator().validateCreate(pfvo("p", { releaseImage: BY_DIGEST })), { errors: [], warnings: [] });
      });
    });
  });

  describe("validateUpdate()", () => {
    const old = pfvo("p", { releaseImage: BY_TAG, pushBuiltImage: false, useRTKernel: false });

    describe("given a mutable change", () => {
      it("allows it and gives no warnings, even for a tag reference or a duplicate", () => {
        const l = listing([pfvo("dup", { releaseImage: BY_TAG })]);
        const v = sut.preflightValidator(l).validateUpdate(old, pfvo("p", { ...old.spec, pushBuiltImage: true }));
        assert.deepEqual(v, { errors: [], warnings: [] });
      });
    });

    describe("given a changed releaseImage", () => {
      it("denies it as immutable", () => {
        const v = sut.preflightValidator().validateUpdate(old, pfvo("p", { ...old.spec, releaseImage: BY_DIGEST }));
        assert.deepEqual(typesAndFields(v.errors), [["Invalid", "spec.releaseImage"]]);
        assert.equal(v.errors[0]!.badValue, BY_DIGEST);
        assert.deepEqual(v.warnings, []);
      });
    });

    describe("given a changed useRTKernel", () => {
      it("denies it as immutable", () => {
        const v = sut.preflightValidator().validateUpdate(old, pfvo("p", { ...old.spec, useRTKernel: true }));
        assert.deepEqual(typesAndFields(v.errors), [["Invalid", "spec.useRTKernel"]]);
      });
    });

    describe("given old and new in the controller-runtime order (old, new)", () => {
      it("ratchets the old object's errors, not the new one's", () => {
        const legacy = pfvo("p", { releaseImage: BY_TAG, pushBuiltImage: "true" });
        const fixed = pfvo("p", { releaseImage: BY_TAG, pushBuiltImage: true });
        assert.deepEqual(sut.preflightValidator().validateUpdate(legacy, fixed).errors, []);
        assert.deepEqual(typesAndFields(sut.preflightValidator().validateUpdate(fixed, legacy).errors), [["Invalid", "spec.pushBuiltImage"]]);
      });
    });
  });

  describe("validateDelete()", () => {
    describe("given any object, even an invalid one", () => {
      it("allows it", () => {
        assert.deepEqual(sut.preflightValidator().validateDelete(pfvo("Bad_Name", {})), { errors: [], warnings: [] });
      });
    });
  });
});
