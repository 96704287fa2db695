import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { KernelMapping } from "../api/module.js";
import { FieldPath } from "../validation/field-path.js";
import * as sut from "./kernel-mapping.js";

const RHEL = "5.14.0-284.25.1.el9_2.x86_64";
const RT_DTK = "5.14.0-427.26.1.el9_4.x86_64+rt";

function selected(mappings: KernelMapping[], kernel: string): number {
  const r = sut.selectKernelMapping(mappings, kernel);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  assert.equal(r.mapping, mappings[r.index]);
  return r.index;
}

describe("selectKernelMapping()", () => {
  describe("given several matching mappings", () => {
    it("selects the first in list order", () => {
      assert.equal(selected([{ regexp: "^5\\." }, { regexp: "^5\\.14" }], RHEL), 0);
    });
    it("gives a literal no priority over an earlier regexp", () => {
      assert.equal(selected([{ regexp: "^.+$" }, { literal: RHEL }], RHEL), 0);
    });
    it("skips earlier mappings that do not match", () => {
      assert.equal(selected([{ literal: "6.1.0-18-amd64" }, { regexp: "^6\\." }, { regexp: "el9" }], RHEL), 2);
    });
  });

  describe("given a literal", () => {
    it("matches by exact equality", () => {
      assert.equal(selected([{ literal: RHEL }], RHEL), 0);
    });
    it("does not match a prefix or a differently cased kernel", () => {
      assert.equal(sut.selectKernelMapping([{ literal: "5.14.0" }], RHEL).ok, false);
      assert.equal(sut.selectKernelMapping([{ literal: RHEL.toUpperCase() }], RHEL).ok, false);
    });
    it("is not read as a regexp", () => {
      assert.equal(sut.selectKernelMapping([{ literal: "5.14.0-.*" }], RHEL).ok, false);
    });
    it("leaves the mapping's regexp unconsulted", () => {
      assert.equal(sut.selectKernelMapping([{ literal: "4.18.0", regexp: "^5" }], RHEL).ok, false);
      assert.equal(selected([{ literal: "4.18.0", regexp: "^5" }, { regexp: "^5" }], RHEL), 1);
    });
    it("wins over the same mapping's regexp, even a bad one", () => {
      assert.equal(selected([{ literal: RHEL, regexp: "(?=x)" }], RHEL), 0);
    });
  });

  describe("given a regexp", () => {
    it("searches unanchored", () => {
      assert.equal(selected([{ regexp: "5.14" }], RHEL), 0);
      assert.equal(selected([{ regexp: "el9_2" }], RHEL), 0);
      assert.equal(selected([{ regexp: "x86_64$" }], RHEL), 0);
    });
    it("honours the user's anchors", () => {
      assert.equal(sut.selectKernelMapping([{ regexp: "^14\\.0" }], RHEL).ok, false);
      assert.equal(sut.selectKernelMapping([{ regexp: "^5\\.14\\.0$" }], RHEL).ok, false);
    });
    it("matches the raw kernel, not the normalised one", () => {
      assert.equal(selected([{ regexp: "\\+rt$" }], RT_DTK), 0);
      assert.equal(sut.selectKernelMapping([{ regexp: "_rt$" }], RT_DTK).ok, false);
      assert.equal(selected([{ literal: RT_DTK }], RT_DTK), 0);
      assert.equal(sut.selectKernelMapping([{ literal: "5.14.0-427.26.1.el9_4.x86_64_rt" }], RT_DTK).ok, false);
    });
    it("accepts RE2-only syntax", () => {
      assert.equal(selected([{ regexp: "(?i)^5\\.14\\.0-284.*X86_64$" }], RHEL), 0);
      assert.equal(selected([{ regexp: "^(?P<maj>\\d+)\\.(?P<min>\\d+)" }], RHEL), 0);
      assert.equal(selected([{ regexp: "^[[:digit:]]+\\.[[:digit:]]+" }], RHEL), 0);
      assert.equal(selected([{ regexp: "\\A\\pN+\\." }], RHEL), 0);
      assert.equal(selected([{ regexp: "^5\\.14\\.0-.*\\.el9_[0-9]+\\.x86_64\\z" }], RHEL), 0);
    });
  });

  describe("given an empty regexp and no literal", () => {
    it("skips the mapping instead of matching everything", () => {
      assert.equal(selected([{ regexp: "" }, {}, { literal: "" }, { regexp: "^5" }], RHEL), 3);
      assert.equal(sut.selectKernelMapping([{ regexp: "" }], RHEL).ok, false);
    });
  });

  describe("given no matching mapping", () => {
    it("answers with upstream's reason", () => {
      assert.deepEqual(sut.selectKernelMapping([{ literal: "4.18.0" }, { regexp: "^6\\." }], RHEL), {
        ok: false,
        reason: `failed to find mapping for kernel ${RHEL}: kernel mapping not found`,
      });
    });
    it("answers the same for no mappings at all", () => {
      for (const m of [[], undefined]) {
        const r = sut.selectKernelMapping(m, "tesdt");
        assert.ok(!r.ok);
        assert.equal(r.reason, "failed to find mapping for kernel tesdt: kernel mapping not found");
      }
    });
  });

  describe("given a regexp RE2 cannot compile", () => {
    it("stops with a reason naming the mapping's field", () => {
      const r = sut.selectKernelMapping([{ literal: "4.18.0" }, { regexp: "^5(?=\\.)" }, { regexp: "^5" }], RHEL);
      assert.ok(!r.ok);
      assert.match(r.reason, /^spec\.moduleLoader\.container\.kernelMappings\[1\]\.regexp: invalid RE2 /);
      assert.equal(r.error?.type, "Invalid");
      assert.equal(r.error?.field, "spec.moduleLoader.container.kernelMappings[1].regexp");
      assert.equal(r.error?.badValue, "^5(?=\\.)");
    });
    it("does not reach it when an earlier mapping matches", () => {
      assert.equal(selected([{ regexp: "^5" }, { regexp: "(" }], RHEL), 0);
    });
    for (const pattern of ["^5(?=\\.14)", "^5(?!\\.14)", "(?<=5)\\.14", "(?<!4)\\.14", "(5)\\.\\1"]) {
      it(`stops on ${pattern}, which JavaScript accepts and RE2 rejects`, () => {
        assert.doesNotThrow(() => new RegExp(pattern));
        const r = sut.selectKernelMapping([{ regexp: pattern }], RHEL);
        assert.ok(!r.ok);
        assert.deepEqual([r.error?.type, r.error?.field, r.error?.badValue], ["Invalid", "spec.moduleLoader.container.kernelMappings[0].regexp", pattern]);
      });
    }
    for (const pattern of ["(", "[", "a**", "*-invalid-regexp", "a{1001}"]) {
      it(`stops on the broken syntax ${pattern}`, () => {
        const r = sut.selectKernelMapping([{ regexp: pattern }], RHEL);
        assert.ok(!r.ok);
        assert.equal(r.error?.type, "Invalid");
      });
    }
    it("reports under the path it is given", () => {
      const r = sut.selectKernelMapping([{ regexp: "(" }], RHEL, FieldPath.root("mappings"));
      assert.ok(!r.ok);
      assert.equal(r.error?.field, "mappings[0].regexp");
    });
  });
});

describe("validateKernelRegexp()", () => {
  const P = FieldPath.root("spec", "moduleLoader", "container", "kernelMappings").index(2).child("regexp");
  describe("given patterns RE2 accepts, some of which JavaScript rejects", () => {
    for (const pattern of ["^5\\.14\\.0-.*\\.el9.*$", "(?i)^5\\.14", "(?P<major>\\d+)\\.", "^[[:digit:]]+\\.", "5.14"]) {
      it(`accepts ${pattern}`, () => assert.deepEqual(sut.validateKernelRegexp(pattern, P), []));
    }
  });
  describe("given patterns RE2 rejects", () => {
    for (const pattern of ["^5(?=\\.14)", "(5)\\.\\1", "(?<!4)\\.14", "(", "a**"]) {
      it(`reports ${pattern} as Invalid at the path given`, () => {
        assert.deepEqual(sut.validateKernelRegexp(pattern, P).map((e) => [e.type, e.field, e.badValue]), [["Invalid", `${P}`, pattern]]);
      });
    }
  });
});
