import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FieldPath } from "./field-path.js";
import * as sut from "./field-error.js";

const RELEASE_IMAGE = FieldPath.root("spec", "releaseImage");
const KIND = "PreflightValidationOCP.kmm.sigs.x-k8s.io";

describe("required()", () => {
  describe("given a path", () => {
    it("builds a Required error at that path with no value", () => {
      const e = sut.required(RELEASE_IMAGE);
      assert.equal(e.type, "Required");
      assert.equal(e.field, "spec.releaseImage");
      assert.equal("badValue" in e, false);
      assert.equal(e.detail, "");
    });
  });

  describe("given a detail", () => {
    it("keeps it", () => {
      assert.equal(sut.required(RELEASE_IMAGE, "needed").detail, "needed");
    });
  });
});

describe("the error constructors", () => {
  describe("given a path through a list item", () => {
    it("keep the path's segments beside its rendering", () => {
      const p = FieldPath.root("spec", "moduleLoader", "container", "kernelMappings").index(2).child("regexp");
      for (const e of [sut.required(p), sut.invalid(p, "(", "bad"), sut.forbidden(p, "no"), sut.duplicate(p, 1), sut.tooLong(p, 3), sut.internalError(p, "x"), sut.notSupported(p, "x", ["y"])]) {
        assert.equal(e.path, p);
        assert.equal(e.field, "spec.moduleLoader.container.kernelMappings[2].regexp");
      }
    });
  });
});

describe("invalid()", () => {
  describe("given a value and a detail", () => {
    it("builds an Invalid error that carries the value", () => {
      const e = sut.invalid(FieldPath.root("spec", "useRTKernel"), "true", "must be a boolean");
      assert.deepEqual([e.type, e.field, e.badValue, e.detail], ["Invalid", "spec.useRTKernel", "true", "must be a boolean"]);
    });
  });

  describe("given an undefined value", () => {
    it("still carries a badValue key", () => {
      assert.equal("badValue" in sut.invalid(RELEASE_IMAGE, undefined, "x"), true);
    });
  });
});

describe("forbidden()", () => {
  describe("given a path", () => {
    it("builds a Forbidden error with no value", () => {
      const e = sut.forbidden(FieldPath.root("spec", "relaseImage"), "unknown field");
      assert.deepEqual([e.type, e.field], ["Forbidden", "spec.relaseImage"]);
      assert.equal("badValue" in e, false);
    });
  });
});

describe("duplicate()", () => {
  describe("given a value", () => {
    it("builds a Duplicate error carrying it", () => {
      const e = sut.duplicate(FieldPath.root("spec", "items").index(1), "a");
      assert.deepEqual([e.type, e.field, e.badValue], ["Duplicate", "spec.items[1]", "a"]);
    });
  });
});

describe("tooLong()", () => {
  describe("given a maximum", () => {
    it("builds a TooLong error that omits the value", () => {
      const e = sut.tooLong(FieldPath.root("metadata", "name"), 63);
      assert.deepEqual([e.type, e.field], ["TooLong", "metadata.name"]);
      assert.equal("badValue" in e, false);
      assert.match(e.detail, /63/);
    });
  });
});

describe("internalError()", () => {
  describe("given an Error", () => {
    it("uses its message as detail", () => {
      const e = sut.internalError(FieldPath.root("spec"), new Error("boom"));
      assert.deepEqual([e.type, e.field, e.detail], ["Internal", "spec", "boom"]);
      assert.equal("badValue" in e, false);
    });
  });

  describe("given a non-Error", () => {
    it("stringifies it", () => {
      assert.equal(sut.internalError(FieldPath.root("spec"), "bad").detail, "bad");
    });
  });
});

describe("notSupported()", () => {
  describe("given the allowed values", () => {
    it("builds a NotSupported error listing every supported value", () => {
      const e = sut.notSupported(FieldPath.root("status", "modules").index(0).child("verificationStage"), "test", ["image", "build", "sign"]);
      assert.deepEqual([e.type, e.field, e.badValue], ["NotSupported", "status.modules[0].verificationStage", "test"]);
      for (const v of ["image", "build", "sign"]) assert.ok(e.detail.includes(`"${v}"`), e.detail);
    });
  });
});

describe("formatFieldError()", () => {
  describe("given a Required error without detail", () => {
    it("prints the Kubernetes form", () => {
      assert.equal(sut.formatFieldError(sut.required(RELEASE_IMAGE)), "spec.releaseImage: Required value");
    });
  });

  describe("given a Required error with detail", () => {
    it("appends the detail", () => {
      assert.equal(sut.formatFieldError(sut.required(RELEASE_IMAGE, "needed")), "spec.releaseImage: Required value: needed");
    });
  });

  describe("given an Invalid string value", () => {
    it("quotes the value", () => {
      assert.equal(
        sut.formatFieldError(sut.invalid(FieldPath.root("spec", "useRTKernel"), "true", "must be a boolean")),
        'spec.useRTKernel: Invalid value: "true": must be a boolean',
      );
    });
  });

  describe("given an Invalid non-string value", () => {
    it("prints numbers, booleans, null and objects unquoted", () => {
      const p = FieldPath.root("spec", "x");
      assert.equal(sut.formatFieldError(sut.invalid(p, 1, "d")), "spec.x: Invalid value: 1: d");
      assert.equal(sut.formatFieldError(sut.invalid(p, false, "d")), "spec.x: Invalid value: false: d");
      assert.equal(sut.formatFieldError(sut.invalid(p, null, "d")), "spec.x: Invalid value: null: d");
      assert.equal(sut.formatFieldError(sut.invalid(p, { a: 1 }, "d")), 'spec.x: Invalid value: {"a":1}: d');
      assert.equal(sut.formatFieldError(sut.invalid(p, [1, "b"], "d")), 'spec.x: Invalid value: [1,"b"]: d');
    });
  });

  describe("given each error type", () => {
    const p = FieldPath.root("spec", "f");
    const cases: [sut.FieldError, string][] = [
      [sut.forbidden(p, "not allowed"), "spec.f: Forbidden: not allowed"],
      [sut.duplicate(p, "a"), 'spec.f: Duplicate value: "a"'],
      [sut.tooLong(p, 10), "spec.f: Too long: may not be more than 10 characters"],
      [sut.internalError(p, new Error("oops")), "spec.f: Internal error: oops"],
      [sut.notSupported(p, "x", ["a", "b"]), 'spec.f: Unsupported value: "x": supported values: "a", "b"'],
    ];
    for (const [e, want] of cases) {
      it(`prints ${e.type} as Kubernetes does`, () => {
        assert.equal(sut.formatFieldError(e), want);
      });
    }
  });
});

describe("toStatusCauses()", () => {
  describe("given several errors", () => {
    it("returns one cause per error with its reason and field, in order", () => {
      const causes = sut.toStatusCauses([
        sut.required(RELEASE_IMAGE),
        sut.invalid(FieldPath.root("spec", "useRTKernel"), "yes", "must be a boolean"),
        sut.forbidden(FieldPath.root("spec", "foo"), "unknown field"),
        sut.notSupported(FieldPath.root("spec", "a"), "x", ["y"]),
        sut.duplicate(FieldPath.root("spec", "b"), 1),
        sut.tooLong(FieldPath.root("spec", "c"), 3),
        sut.internalError(FieldPath.root("spec", "d"), "e"),
      ]);
      assert.deepEqual(
        causes.map((c) => [c.reason, c.field]),
        [
          ["FieldValueRequired", "spec.releaseImage"],
          ["FieldValueInvalid", "spec.useRTKernel"],
          ["FieldValueForbidden", "spec.foo"],
          ["FieldValueNotSupported", "spec.a"],
          ["FieldValueDuplicate", "spec.b"],
          ["FieldValueTooLong", "spec.c"],
          ["InternalError", "spec.d"],
        ],
      );
    });

    it("leaves the path out of each cause's message", () => {
      const [cause] = sut.toStatusCauses([sut.invalid(FieldPath.root("spec", "useRTKernel"), "yes", "must be a boolean")]);
      assert.equal(cause!.message, 'Invalid value: "yes": must be a boolean');
    });
  });

  describe("given no errors", () => {
    it("returns no causes", () => {
      assert.deepEqual(sut.toStatusCauses([]), []);
    });
  });
});

describe("formatInvalid()", () => {
  describe("given one error", () => {
    it("prints it without brackets", () => {
      assert.equal(
        sut.formatInvalid(KIND, "x", [sut.required(RELEASE_IMAGE)]),
        'PreflightValidationOCP.kmm.sigs.x-k8s.io "x" is invalid: spec.releaseImage: Required value',
      );
    });
  });

  describe("given several errors", () => {
    it("prints them all, in brackets, separated by commas", () => {
      const a = sut.required(RELEASE_IMAGE);
      const b = sut.invalid(FieldPath.root("spec", "useRTKernel"), "yes", "must be a boolean");
      assert.equal(
        sut.formatInvalid(KIND, "x", [a, b]),
        `PreflightValidationOCP.kmm.sigs.x-k8s.io "x" is invalid: [${sut.formatFieldError(a)}, ${sut.formatFieldError(b)}]`,
      );
    });
  });

  describe("given a name with quotes", () => {
    it("escapes it", () => {
      assert.ok(sut.formatInvalid(KIND, 'a"b', [sut.required(RELEASE_IMAGE)]).startsWith(`${KIND} "a\\"b" is invalid: `));
    });
  });
});
