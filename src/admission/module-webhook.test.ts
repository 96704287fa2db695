import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module, PreflightValidationOCP } from "../api/index.js";
import type { FieldError } from "../validation/field-error.js";
import type { PreflightLister } from "./preflight-webhook.js";
import { moduleWith, validModule } from "./test-modules.js";
import * as sut from "./module-webhook.js";

const EL9_4 = "5.14.0-427.26.1.el9_4.x86_64";
const EL9_2 = "5.14.0-284.25.1.el9_2.x86_64";
const KM = "spec.moduleLoader.container.kernelMappings";
const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

const pfvo = (name: string, kernel: string): PreflightValidationOCP =>
  ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: { releaseImage: "quay.io/ocp/release:4.16" }, status: { kernelVersion: kernel } }) as PreflightValidationOCP;

/** A cache of PFVOs (undefined: not synced) that counts its reads. */
function cache(items: readonly PreflightValidationOCP[] | undefined): PreflightLister & { reads: number } {
  const c = { reads: 0, list: () => (c.reads++, items) };
  return c;
}

/** Knows el9_2 only: fails preflight for an el9_4 release. */
const el92Only = (change: (m: any) => void = () => {}) =>
  moduleWith((m) => {
    m.spec.moduleLoader.container.kernelMappings.splice(1);
    change(m);
  });

describe("moduleValidator()", () => {
  describe("validateCreate()", () => {
    describe("given a Module the rules deny", () => {
      it("denies with every error and does not consult the cache", () => {
        const c = cache([pfvo("p", EL9_4)]);
        const v = sut.moduleValidator(c).validateCreate(moduleWith((m) => (m.spec.moduleLoader.container.kernelMappings = [])));
        assert.deepEqual(typesAndFields(v.errors), [["Required", KM]]);
        assert.equal(c.reads, 0);
      });
    });

    describe("given a Module that will fail a cached PreflightValidationOCP's kernel", () => {
      it("admits it with a warning naming Module, PreflightValidationOCP and kernel", () => {
        const v = sut.moduleValidator(cache([pfvo("upgrade", EL9_4), pfvo("current", EL9_2)])).validateCreate(el92Only());
        assert.deepEqual(v.errors, []);
        assert.equal(v.warnings.length, 1);
        assert.match(v.warnings[0]!, /^Module drivers\/my-driver will fail preflight for release quay\.io\/ocp\/release:4\.16 \(PreflightValidationOCP upgrade\): no kernelMappings entry matches kernel 5\.14\.0-427/);
      });

      it("denies it in enforce mode, at kernelMappings", () => {
        const v = sut.moduleValidator(cache([pfvo("upgrade", EL9_4)]), { enforce: true }).validateCreate(el92Only());
        assert.deepEqual(typesAndFields(v.errors), [["Required", KM]]);
      });
    });

    describe("given a Module every cached kernel is mapped for", () => {
      it("admits it without a preflight warning, in either mode", () => {
        for (const enforce of [false, true]) {
          assert.deepEqual(sut.moduleValidator(cache([pfvo("p", EL9_4)]), { enforce }).validateCreate(validModule()), { errors: [], warnings: [] });
        }
      });
    });

    describe("given deprecated fields", () => {
      it("warns about them beside the preflight warnings", () => {
        const v = sut.moduleValidator(cache([pfvo("p", EL9_4)])).validateCreate(el92Only((m) => (m.spec.moduleLoader.container.inTreeModuleToRemove = "nouveau")));
        assert.equal(v.warnings.length, 2);
        assert.match(v.warnings[0]!, /inTreeModuleToRemove is deprecated/);
      });
    });

    describe("given a cache that has not synced", () => {
      it("admits without preflight warnings; in enforce mode, says the checks were skipped", () => {
        assert.deepEqual(sut.moduleValidator(cache(undefined)).validateCreate(el92Only()), { errors: [], warnings: [] });
        assert.deepEqual(sut.moduleValidator(cache(undefined), { enforce: true }).validateCreate(el92Only()), { errors: [], warnings: [sut.PREFLIGHT_CHECKS_SKIPPED] });
      });
    });

    describe("given a cache lookup that throws", () => {
      it("tells onLookupError and admits", () => {
        const seen: unknown[] = [];
        const broken: PreflightLister = { list: () => { throw new Error("boom"); } };
        const v = sut.moduleValidator(broken, { enforce: true, onLookupError: (e) => seen.push(e) }).validateCreate(el92Only());
        assert.deepEqual(v.errors, []);
        assert.equal((seen[0] as Error).message, "boom");
      });
    });
  });

  describe("validateUpdate()", () => {
    const known = () => cache([pfvo("upgrade", EL9_4)]);

    describe("given a metadata-only change of a Module that fails preflight", () => {
      it("says nothing and denies nothing, even in enforce mode", () => {
        const old = el92Only();
        const labelled = el92Only((m) => (m.metadata.labels = { team: "gpu" }));
        assert.deepEqual(sut.moduleValidator(known(), { enforce: true }).validateUpdate(old, labelled), { errors: [], warnings: [] });
      });
    });

    describe("given a spec change keeping a preflight failure the stored Module already had", () => {
      it("warns, and does not deny in enforce mode (ratcheting)", () => {
        const old = el92Only();
        const changed = el92Only((m) => (m.spec.selector = { gpu: "true" }));
        const v = sut.moduleValidator(known(), { enforce: true }).validateUpdate(old, changed);
        assert.deepEqual(v.errors, []);
        assert.equal(v.warnings.length, 1);
      });
    });

    describe("given a spec change that loses the mapping for a cached kernel", () => {
      it("warns, or denies in enforce mode", () => {
        const old = validModule();
        const narrowed = el92Only();
        assert.equal(sut.moduleValidator(known()).validateUpdate(old, narrowed).warnings.length, 1);
        assert.deepEqual(typesAndFields(sut.moduleValidator(known(), { enforce: true }).validateUpdate(old, narrowed).errors), [["Required", KM]]);
      });
    });

    describe("given a version set where there was none", () => {
      it("denies it even without a spec problem", () => {
        const v = sut.moduleValidator().validateUpdate(validModule(), moduleWith((m) => (m.spec.moduleLoader.container.version = "2")));
        assert.deepEqual(typesAndFields(v.errors), [["Forbidden", "spec.moduleLoader.container.version"]]);
      });
    });
  });

  describe("validateDelete()", () => {
    it("allows", () => assert.deepEqual(sut.moduleValidator(cache([pfvo("p", EL9_4)]), { enforce: true }).validateDelete(el92Only() as Module), { errors: [], warnings: [] }));
  });
});
