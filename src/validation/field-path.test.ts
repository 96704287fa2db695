import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./field-path.js";

const { FieldPath } = sut;

describe("FieldPath.root()", () => {
  describe("given one name", () => {
    it("renders that name", () => {
      assert.equal(FieldPath.root("spec").toString(), "spec");
    });
  });

  describe("given several names", () => {
    it("joins them with dots", () => {
      assert.equal(FieldPath.root("spec", "releaseImage").toString(), "spec.releaseImage");
    });
  });

  describe("given no names", () => {
    it("renders the empty path", () => {
      assert.equal(FieldPath.root().toString(), "");
    });
  });
});

describe("FieldPath.child()", () => {
  describe("given a path and a name", () => {
    it("appends the name after a dot", () => {
      assert.equal(FieldPath.root("metadata").child("name").toString(), "metadata.name");
    });
  });

  describe("given several names", () => {
    it("appends each of them", () => {
      assert.equal(FieldPath.root("spec").child("moduleLoader", "container").toString(), "spec.moduleLoader.container");
    });
  });

  describe("given the empty root", () => {
    it("does not start the path with a dot", () => {
      assert.equal(FieldPath.root().child("spec").toString(), "spec");
    });
  });

  describe("given a path that is extended twice", () => {
    it("leaves the original path unchanged (paths are values)", () => {
      const spec = FieldPath.root("spec");
      const a = spec.child("releaseImage");
      const b = spec.child("useRTKernel");
      assert.equal(spec.toString(), "spec");
      assert.equal(a.toString(), "spec.releaseImage");
      assert.equal(b.toString(), "spec.useRTKernel");
    });
  });
});

describe("FieldPath.index()", () => {
  describe("given an index", () => {
    it("appends it in brackets without a dot", () => {
      assert.equal(FieldPath.root("spec", "kernelMappings").index(2).toString(), "spec.kernelMappings[2]");
    });
  });

  describe("given a child after an index", () => {
    it("renders the way Kubernetes does", () => {
      const p = FieldPath.root("spec").child("moduleLoader", "container", "kernelMappings").index(2).child("regexp");
      assert.equal(p.toString(), "spec.moduleLoader.container.kernelMappings[2].regexp");
    });
  });

  describe("given index 0", () => {
    it("renders [0]", () => {
      assert.equal(FieldPath.root("status", "modules").index(0).toString(), "status.modules[0]");
    });
  });
});

describe("FieldPath.key()", () => {
  describe("given a map key", () => {
    it("appends it in brackets", () => {
      assert.equal(FieldPath.root("metadata", "labels").key("app").toString(), "metadata.labels[app]");
    });
  });
});

describe("FieldPath.segments", () => {
  describe("given names, an index and a key", () => {
    it("keeps each step in order, by kind", () => {
      assert.deepEqual(FieldPath.root("spec").child("kernelMappings").index(2).key("a.b").child("regexp").segments, [
        { kind: "field", name: "spec" },
        { kind: "field", name: "kernelMappings" },
        { kind: "index", index: 2 },
        { kind: "key", key: "a.b" },
        { kind: "field", name: "regexp" },
      ]);
    });
  });

  describe("given empty names", () => {
    it("leaves them out, as the rendering does", () => {
      assert.deepEqual(FieldPath.root().child("", "spec").segments, [{ kind: "field", name: "spec" }]);
      assert.equal(FieldPath.root("spec").child("").toString(), "spec");
    });
  });
});

describe("valueAt()", () => {
  const obj = {
    spec: {
      kernelMappings: [{ regexp: "^5" }, { literal: "5.14" }, { regexp: "^6" }],
      "a.b": "dotted",
      labels: { "app.kubernetes.io/name": "x" },
    },
  };
  const KM = FieldPath.root("spec", "kernelMappings");

  describe("given a path through a list item", () => {
    it("returns the value in that item", () => {
      assert.equal(sut.valueAt(obj, KM.index(2).child("regexp")), "^6");
      assert.deepEqual(sut.valueAt(obj, KM.index(1)), { literal: "5.14" });
    });
  });

  describe("given a field or key whose name holds a dot", () => {
    it("takes the name whole instead of splitting it", () => {
      assert.equal(sut.valueAt(obj, FieldPath.root("spec").child("a.b")), "dotted");
      assert.equal(sut.valueAt(obj, FieldPath.root("spec", "labels").key("app.kubernetes.io/name")), "x");
    });
  });

  describe("given the empty path", () => {
    it("returns the root", () => {
      assert.equal(sut.valueAt(obj, FieldPath.root()), obj);
    });
  });

  describe("given a path the object does not have", () => {
    for (const [what, p] of [
      ["an index past the end", KM.index(3).child("regexp")],
      ["an index into an object", FieldPath.root("spec").index(0)],
      ["a name inside a list", KM.child("0")],
      ["a name inside a string", KM.index(0).child("regexp", "length")],
      ["an inherited property", FieldPath.root("spec", "constructor")],
    ] as const) {
      it(`returns undefined for ${what}`, () => {
        assert.equal(sut.valueAt(obj, p), undefined);
      });
    }
  });
});

describe("FieldPath.toString()", () => {
  describe("given a template literal", () => {
    it("renders the path", () => {
      assert.equal(`${FieldPath.root("spec").child("pushBuiltImage")}`, "spec.pushBuiltImage");
    });
  });
});
