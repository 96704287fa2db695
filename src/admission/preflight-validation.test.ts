import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import { FieldPath } from "../validation/field-path.js";
import type { FieldError } from "../validation/field-error.js";
import * as sut from "./preflight-validation.js";

const DIGEST = "sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const RELEASE = `quay.io/openshift-release-dev/ocp-release@${DIGEST}`;
const OTHER_RELEASE = "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

function pfvo(spec: unknown, metadata: unknown = { name: "preflight" }): PreflightValidationOCP {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: metadata as PreflightValidationOCP["metadata"],
    spec: spec as PreflightValidationOCP["spec"],
  };
}

describe("validateReleaseImage()", () => {
  const P = FieldPath.root("spec", "releaseImage");

  describe("given a valid reference", () => {
    for (const ref of [RELEASE, OTHER_RELEASE, `quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64@${DIGEST}`, "registry.example.com:5000/ocp/release:4.16", "localhost/release:1", "ocp-release:4.16"]) {
      it(`accepts ${ref}`, () => {
        assert.deepEqual(sut.validateReleaseImage(ref, P), []);
      });
    }
  });

  describe("given no value", () => {
    for (const v of [undefined, null, "", "   ", "\t\n"]) {
      it(`reports Required for ${JSON.stringify(v) ?? "undefined"}`, () => {
        const errs = sut.validateReleaseImage(v, P);
        assert.deepEqual(typesAndFields(errs), [["Required", "spec.releaseImage"]]);
      });
    }
  });

  describe("given a value that is not a string", () => {
    for (const v of [42, true, false, { image: RELEASE }, [RELEASE]]) {
      it(`reports Invalid for ${JSON.stringify(v)}`, () => {
        const errs = sut.validateReleaseImage(v, P);
        assert.deepEqual(typesAndFields(errs), [["Invalid", "spec.releaseImage"]]);
        assert.deepEqual(errs[0]!.badValue, v);
      });
    }
  });

  describe("given a syntax error", () => {
    const cases: [string, string][] = [
      ["a space", "quay.io/ocp release:4.16"],
      ["a leading space", ` ${RELEASE}`],
      ["a trailing newline", `${RELEASE}\n`],
      ["a semicolon", "quay.io/ocp;rm -rf /:4"],
      ["a command substitution", "quay.io/$(whoami):4"],
      ["backticks", "quay.io/ocp`id`:4"],
      ["a pipe", "quay.io/ocp|cat:4"],
      ["an ampersand", "quay.io/ocp&&true:4"],
      ["a quote", "quay.io/'ocp':4"],
      ["an uppercase repository", "quay.io/OpenShift-Release-Dev/ocp-release:4.16"],
      ["a short digest", "quay.io/ocp@sha256:abc"],
      ["an uppercase digest", `quay.io/ocp@${DIGEST.toUpperCase()}`],
      ["a digest of another algorithm", `quay.io/ocp@md5:${"a".repeat(32)}`],
      ["an empty digest", "quay.io/ocp@"],
      ["a bad tag", "quay.io/ocp:-bad"],
      ["an empty repository", "quay.io/"],
      ["a bad port", "quay.io:99999/ocp:1"],
    ];
    for (const [what, ref] of cases) {
      it(`reports Invalid for ${what}`, () => {
        const errs = sut.validateReleaseImage(ref, P);
        assert.ok(errs.length >= 1, "expected an error");
        for (const e of errs) {
          assert.deepEqual([e.type, e.field, e.badValue], ["Invalid", "spec.releaseImage", ref]);
        }
      });
    }
  });

  describe("given several syntax errors", () => {
    it("reports each one", () => {
      const errs = sut.validateReleaseImage("quay.io/UPPER:-tag@sha256:short", P);
      assert.equal(errs.length, 3);
      for (const e of errs) assert.deepEqual([e.type, e.field], ["Invalid", "spec.releaseImage"]);
    });
  });
});

describe("validatePreflightSpec()", () => {
  const P = FieldPath.root("spec");

  describe("given a valid spec", () => {
    for (const spec of [
      { releaseImage: RELEASE },
      { releaseImage: RELEASE, pushBuiltImage: true },
      { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: true },
      { releaseImage: OTHER_RELEASE, pushBuiltImage: null, useRTKernel: null },
    ]) {
      it(`accepts ${JSON.stringify(spec)}`, () => {
        assert.deepEqual(sut.validatePreflightSpec(spec, P), []);
      });
    }
  });

  describe("given no spec", () => {
    for (const spec of [undefined, null]) {
      it(`reports Required spec for ${String(spec)}`, () => {
        assert.deepEqual(typesAndFields(sut.validatePreflightSpec(spec, P)), [["Required", "spec"]]);
      });
    }
  });

  describe("given a spec that is not an object", () => {
    for (const spec of ["x", 42, true, [RELEASE]]) {
      it(`reports Invalid spec for ${JSON.stringify(spec)}`, () => {
        assert.deepEqual(typesAndFields(sut.validatePreflightSpec(spec, P)), [["Invalid", "spec"]]);
      });
    }
  });

  describe("given an empty spec", () => {
    it("reports Required spec.releaseImage", () => {
      assert.deepEqual(typesAndFields(sut.validatePreflightSpec({}, P)), [["Required", "spec.releaseImage"]]);
    });
  });

  describe("given a typo of releaseImage", () => {
    it("reports both the missing releaseImage and the unknown field", () => {
      const errs = sut.validatePreflightSpec({ relaseImage: RELEASE }, P);
      assert.deepEqual(typesAndFields(errs), [
        ["Required", "spec.releaseImage"],
        ["Forbidden", "spec.relaseImage"],
      ]);
      assert.ok(errs[1]!.detail.includes('"releaseImage"'));
    });
  });

  describe("given a string boolean", () => {
    it("reports Invalid at that field with a hint", () => {
      const errs = sut.validatePreflightSpec({ releaseImage: RELEASE, useRTKernel: "true" }, P);
      assert.deepEqual(typesAndFields(errs), [["Invalid", "spec.useRTKernel"]]);
      assert.match(errs[0]!.detail, /without quotes/);
    });
  });

  describe("given several problems", () => {
    it("reports every one of them, each at its path", () => {
      const errs = sut.validatePreflightSpec({ releaseImage: "quay.io/ocp release", pushBuiltImage: "true", useRTKernel: 1, relaseImage: "x", extra: {} }, P);
      assert.deepEqual(typesAndFields(errs), [
        ["Invalid", "spec.releaseImage"],
        ["Invalid", "spec.pushBuiltImage"],
        ["Invalid", "spec.useRTKernel"],
        ["Forbidden", "spec.relaseImage"],
        ["Forbidden", "spec.extra"],
      ]);
    });
  });
});

describe("validatePreflight()", () => {
  describe("given the seed's example", () => {
    it("reports nothing", () => {
      assert.deepEqual(sut.validatePreflight(pfvo({ releaseImage: RELEASE, pushBuiltImage: true })), []);
    });
  });

  describe("given a generateName object", () => {
    it("reports nothing", () => {
      assert.deepEqual(sut.validatePreflight(pfvo({ releaseImage: RELEASE }, { generateName: "pfvo-" })), []);
    });
  });

  describe("given problems in metadata and spec", () => {
    it("reports all of them, metadata first, each with its full path", () => {
      const errs = sut.validatePreflight(pfvo({ releaseImage: "   ", pushBuiltImage: "false", relaseImage: RELEASE }, { name: "Pre_Flight" }));
      assert.deepEqual(typesAndFields(errs), [
        ["Invalid", "metadata.name"],
        ["Required", "spec.releaseImage"],
        ["Invalid", "spec.pushBuiltImage"],
        ["Forbidden", "spec.relaseImage"],
      ]);
    });
  });

  describe("given no metadata and no spec", () => {
    it("reports both as Required", () => {
      const o = { apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP" } as unknown as PreflightValidationOCP;
      assert.deepEqual(typesAndFields(sut.validatePreflight(o)), [
        ["Required", "metadata"],
        ["Required", "spec"],
      ]);
    });
  });

  describe("given a status", () => {
    it("does not validate it", () => {
      const o = { ...pfvo({ releaseImage: RELEASE }), status: { modules: "not a list" } } as unknown as PreflightValidationOCP;
      assert.deepEqual(sut.validatePreflight(o), []);
    });
  });

  describe("given an input it cannot trust", () => {
    it("never throws", () => {
      for (const spec of [undefined, null, 0, "", [], {}, { releaseImage: Symbol("x") }, { releaseImage: 1n }]) {
        for (const meta of [undefined, null, 0, {}, { name: 1 }, { name: null }, { generateName: 5 }]) {
          assert.doesNotThrow(() => sut.validatePreflight(pfvo(spec, meta)));
        }
      }
    });
  });
});

describe("validatePreflightUpdate()", () => {
  const old = pfvo({ releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false });

  describe("given an unchanged object", () => {
    it("reports nothing", () => {
      assert.deepEqual(sut.validatePreflightUpdate(structuredClone(old), old), []);
    });
  });

  describe("given a changed releaseImage", () => {
    it("reports it as immutable", () => {
      const o = pfvo({ ...old.spec, releaseImage: OTHER_RELEASE });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, old)), [["Invalid", "spec.releaseImage"]]);
    });
  });

  describe("given a removed releaseImage", () => {
    it("reports it Required and immutable", () => {
      const o = pfvo({ pushBuiltImage: false, useRTKernel: false });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, old)), [
        ["Required", "spec.releaseImage"],
        ["Invalid", "spec.releaseImage"],
      ]);
    });
  });

  describe("given a changed useRTKernel", () => {
    for (const [from, to] of [
      [false, true],
      [true, false],
      [undefined, true],
      [true, undefined],
      [true, null],
    ] as const) {
      it(`reports ${String(from)} → ${String(to)} as immutable`, () => {
        const o = pfvo({ releaseImage: RELEASE, useRTKernel: to });
        const before = pfvo({ releaseImage: RELEASE, useRTKernel: from });
        assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, before)), [["Invalid", "spec.useRTKernel"]]);
      });
    }
  });

  describe("given useRTKernel going between absent, null and false", () => {
    for (const [from, to] of [
      [undefined, false],
      [false, undefined],
      [null, false],
      [undefined, null],
    ] as const) {
      it(`treats ${String(from)} → ${String(to)} as no change`, () => {
        const o = pfvo({ releaseImage: RELEASE, useRTKernel: to });
        const before = pfvo({ releaseImage: RELEASE, useRTKernel: from });
        assert.deepEqual(sut.validatePreflightUpdate(o, before), []);
      });
    }
  });

  describe("given a changed pushBuiltImage", () => {
    it("allows it", () => {
      assert.deepEqual(sut.validatePreflightUpdate(pfvo({ ...old.spec, pushBuiltImage: true }), old), []);
    });
  });

  describe("given changed labels or annotations", () => {
    it("allows them", () => {
      const o = pfvo(old.spec, { name: "preflight", labels: { team: "a" }, annotations: { note: "b" } });
      assert.deepEqual(sut.validatePreflightUpdate(o, old), []);
    });
  });

  describe("given an update that breaks a valid field", () => {
    it("denies the new invalid value", () => {
      const o = pfvo({ ...old.spec, pushBuiltImage: "yes" });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, old)), [["Invalid", "spec.pushBuiltImage"]]);
    });

    it("denies a newly added unknown field", () => {
      const o = pfvo({ ...old.spec, relaseImage: RELEASE });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, old)), [["Forbidden", "spec.relaseImage"]]);
    });
  });

  describe("given both an immutable change and a new invalid value", () => {
    it("reports both", () => {
      const o = pfvo({ releaseImage: OTHER_RELEASE, pushBuiltImage: "true", useRTKernel: true });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, old)), [
        ["Invalid", "spec.pushBuiltImage"],
        ["Invalid", "spec.releaseImage"],
        ["Invalid", "spec.useRTKernel"],
      ]);
    });
  });

  describe("given an old object that already had an invalid value (ratcheting)", () => {
    it("allows an update that keeps the invalid releaseImage unchanged", () => {
      const legacy = pfvo({ releaseImage: "quay.io/OpenShift/Release:4.16", pushBuiltImage: false });
      const o = pfvo({ releaseImage: "quay.io/OpenShift/Release:4.16", pushBuiltImage: true });
      assert.deepEqual(sut.validatePreflightUpdate(o, legacy), []);
    });

    it("allows an update that keeps an invalid boolean unchanged", () => {
      const legacy = pfvo({ releaseImage: RELEASE, pushBuiltImage: "true" });
      const o = pfvo({ releaseImage: RELEASE, pushBuiltImage: "true" }, { name: "preflight", labels: { a: "b" } });
      assert.deepEqual(sut.validatePreflightUpdate(o, legacy), []);
    });

    it("allows an update that keeps an invalid name unchanged", () => {
      const legacy = pfvo({ releaseImage: RELEASE }, { name: "Legacy_Name" });
      const o = pfvo({ releaseImage: RELEASE, pushBuiltImage: true }, { name: "Legacy_Name" });
      assert.deepEqual(sut.validatePreflightUpdate(o, legacy), []);
    });

    it("allows an update that keeps an unknown field unchanged", () => {
      const legacy = pfvo({ releaseImage: RELEASE, legacyField: "x" });
      const o = pfvo({ releaseImage: RELEASE, legacyField: "x", pushBuiltImage: true });
      assert.deepEqual(sut.validatePreflightUpdate(o, legacy), []);
    });

    it("denies a different invalid value in the same field", () => {
      const legacy = pfvo({ releaseImage: RELEASE, pushBuiltImage: "true" });
      const o = pfvo({ releaseImage: RELEASE, pushBuiltImage: "yes" });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, legacy)), [["Invalid", "spec.pushBuiltImage"]]);
    });

    it("denies a changed value in a field that was already unknown", () => {
      const legacy = pfvo({ releaseImage: RELEASE, legacyField: "x" });
      const o = pfvo({ releaseImage: RELEASE, legacyField: "y" });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, legacy)), [["Forbidden", "spec.legacyField"]]);
    });

    it("denies a new invalid value in another field", () => {
      const legacy = pfvo({ releaseImage: RELEASE, pushBuiltImage: "true" });
      const o = pfvo({ releaseImage: RELEASE, pushBuiltImage: "true", useRTKernel: "false" });
      assert.deepEqual(typesAndFields(sut.validatePreflightUpdate(o, legacy)), [
        ["Invalid", "spec.useRTKernel"],
        ["Invalid", "spec.useRTKernel"],
      ]);
    });

    it("still enforces immutability", () => {
      const legacy = pfvo({ releaseImage: "quay.io/OpenShift/Release:4.16" });
      const o = pfvo({ releaseImage: "quay.io/OpenShift/Release:4.17" });
      const errs = sut.validatePreflightUpdate(o, legacy);
      assert.ok(errs.length >= 1);
      assert.ok(errs.some((e) => e.field === "spec.releaseImage" && e.badValue === "quay.io/OpenShift/Release:4.17"));
    });
  });

  describe("given an input it cannot trust", () => {
    it("never throws", () => {
      for (const spec of [undefined, null, 0, [], {}]) {
        for (const oldSpec of [undefined, null, 0, [], {}]) {
          assert.doesNotThrow(() => sut.validatePreflightUpdate(pfvo(spec), pfvo(oldSpec)));
        }
      }
    });
  });
});

describe("validateReleaseImage() length", () => {
  it("reports a reference longer than the CRD's maxLength as TooLong, without echoing it", () => {
    const errs = sut.validateReleaseImage(`quay.io/${"a".repeat(600)}:1`, FieldPath.root("spec", "releaseImage"));
    assert.deepEqual(errs.map((e) => [e.type, e.field]), [["TooLong", "spec.releaseImage"]]);
    assert.equal("badValue" in errs[0]!, false);
  });
});
