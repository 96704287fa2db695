import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./substitute.js";

const VARS = {
  KERNEL_FULL_VERSION: "5.14.0-284.25.1.el9_2.x86_64",
  KERNEL_VERSION: "5.14.0-284.25.1.el9_2.x86_64",
  KERNEL_XYZ: "5.14.0",
  KERNEL_X: "5",
  KERNEL_Y: "14",
  KERNEL_Z: "0",
  MOD_NAME: "kmm-ci",
  MOD_NAMESPACE: "ns1",
};

function valueOf(template: string, vars: Record<string, string> = VARS): string {
  const r = sut.substituteVariables(template, vars);
  assert.ok(r.ok, r.ok ? "" : r.error);
  return r.value;
}

function errorOf(template: string, vars: Record<string, string> = VARS): string {
  const r = sut.substituteVariables(template, vars);
  assert.ok(!r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

describe("substituteVariables()", () => {
  describe("given the braced form", () => {
    it("substitutes each variable", () => {
      assert.equal(valueOf("quay.io/org/${MOD_NAME}:${KERNEL_FULL_VERSION}"), "quay.io/org/kmm-ci:5.14.0-284.25.1.el9_2.x86_64");
      assert.equal(valueOf("${KERNEL_X}${KERNEL_Y}${KERNEL_Z}"), "5140");
    });
  });

  describe("given the bare form", () => {
    it("substitutes each variable, the name ending at the first character outside [A-Za-z0-9_]", () => {
      assert.equal(valueOf("quay.io/$MOD_NAMESPACE/$MOD_NAME:$KERNEL_XYZ-v1"), "quay.io/ns1/kmm-ci:5.14.0-v1");
      assert.equal(valueOf("$KERNEL_X.$KERNEL_Y"), "5.14");
    });
  });

  describe("given both forms mixed", () => {
    it("substitutes both", () => {
      assert.equal(valueOf("${MOD_NAME}-$KERNEL_XYZ"), "kmm-ci-5.14.0");
    });
  });

  describe("given $$", () => {
    it("gives a literal $ and does not start a variable", () => {
      assert.equal(valueOf("a$$b"), "a$b");
      assert.equal(valueOf("$${MOD_NAME}"), "${MOD_NAME}");
      assert.equal(valueOf("$$$MOD_NAME"), "$kmm-ci");
      assert.equal(valueOf("$$$$"), "$$");
    });
  });

  describe("given a $ that starts no variable", () => {
    it("keeps it", () => {
      assert.equal(valueOf("a$"), "a$");
      assert.equal(valueOf("a$-b"), "a$-b");
      assert.equal(valueOf("a$.b"), "a$.b");
    });
  });

  describe("given no variables", () => {
    it("returns the template", () => {
      assert.equal(valueOf("quay.io/org/image:tag"), "quay.io/org/image:tag");
      assert.equal(valueOf(""), "");
    });
  });

  describe("given an unknown variable", () => {
    it("rejects it, naming it and the known variables", () => {
      const e = errorOf("quay.io/${FOO}:x", { KERNEL_X: "5", KERNEL_Y: "14" });
      assert.match(e, /unknown variable FOO/);
      assert.match(e, /known variables: KERNEL_X, KERNEL_Y/);
    });
    it("rejects the bare form too", () => {
      assert.match(errorOf("quay.io/$FOO:x"), /unknown variable FOO/);
    });
    it("rejects a variable known elsewhere but not passed (MOD_NAME for an unsigned image)", () => {
      const { MOD_NAME: _n, MOD_NAMESPACE: _ns, ...kernelOnly } = VARS;
      assert.match(errorOf("quay.io/org/${MOD_NAME}:${KERNEL_XYZ}", kernelOnly), /unknown variable MOD_NAME/);
    });
    it("reports every unknown variable once", () => {
      const e = errorOf("${A}/${B}/$A");
      assert.equal(e.match(/unknown variable A\b/g)?.length, 1);
      assert.match(e, /unknown variable B\b/);
    });
    it("suggests a close name", () => {
      assert.match(errorOf("${KERNEL_FULL_VERISON}"), /did you mean KERNEL_FULL_VERSION\?/);
    });
    it("suggests braces when a bare name runs on past a known one", () => {
      assert.match(errorOf("x:$KERNEL_XYZ_rt"), /write \$\{KERNEL_XYZ\}_rt/);
    });
    it("is not fooled by Object.prototype names", () => {
      assert.match(errorOf("${constructor}"), /unknown variable constructor/);
      assert.match(errorOf("$toString"), /unknown variable toString/);
    });
    it("says so when no variables are known", () => {
      assert.match(errorOf("${X}", {}), /no variables are known/);
    });
  });

  describe("given an unterminated ${", () => {
    it("rejects it", () => {
      assert.match(errorOf("quay.io/org/img:${KERNEL_XYZ"), /unterminated "\$\{" at offset 16/);
      assert.match(errorOf("${"), /unterminated/);
    });
  });

  describe("given a malformed ${...}", () => {
    it("rejects an empty name", () => {
      assert.match(errorOf("a${}b"), /empty variable reference/);
    });
    it("rejects shell expansions it does not support", () => {
      assert.match(errorOf("${KERNEL_XYZ:-5.14.0}"), /unsupported variable reference "\$\{KERNEL_XYZ:-5.14.0\}"/);
      assert.match(errorOf("${KERNEL-XYZ}"), /unsupported/);
    });
  });

  describe("given several problems", () => {
    it("reports them all", () => {
      const e = errorOf("${A}${}${B");
      assert.match(e, /unknown variable A/);
      assert.match(e, /empty variable reference/);
      assert.match(e, /unterminated/);
    });
  });

  describe("given a value holding $", () => {
    it("does not substitute again inside it", () => {
      assert.equal(valueOf("${V}", { V: "$V${V}" }), "$V${V}");
    });
  });
});
