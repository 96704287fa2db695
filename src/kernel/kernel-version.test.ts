import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./kernel-version.js";

describe("normalizeKernel()", () => {
  describe("given a kernel of allowed characters only", () => {
    it("returns it unchanged", () => {
      for (const k of ["5.14.0-284.25.1.el9_2.x86_64", "6.1.0-18-amd64", "5.14.0-284.25.1.rt14.310.el9_2.x86_64"]) {
        assert.equal(sut.normalizeKernel(k), k);
      }
    });
  });

  describe("given characters outside [A-Za-z0-9._-]", () => {
    const cases: [string, string][] = [
      ["5.15.0+rt", "5.15.0_rt"],
      ["5.14.0-427.26.1.el9_4.x86_64+rt", "5.14.0-427.26.1.el9_4.x86_64_rt"],
      ["1.2.3 4", "1.2.3_4"],
      ["1.2.3&4?5%6", "1.2.3_4_5_6"],
      ["5,14,0", "5_14_0"],
      ["5.14.0-é", "5.14.0-_"],
    ];
    for (const [input, want] of cases) {
      it(`turns ${JSON.stringify(input)} into ${JSON.stringify(want)}`, () => {
        assert.equal(sut.normalizeKernel(input), want);
      });
    }
    it("replaces a character outside the BMP with a single _", () => {
      assert.equal(sut.normalizeKernel("5.14.0-\u{1F600}x"), "5.14.0-_x");
    });
  });
});

describe("kernelFields()", () => {
  describe("given real kernels", () => {
    const cases: [string, string[]][] = [
      ["5.14.0-284.25.1.el9_2.x86_64", ["5", "14", "0", "284", "25", "1", "el9_2", "x86_64"]],
      ["5.14.0-284.25.1.rt14.310.el9_2.x86_64", ["5", "14", "0", "284", "25", "1", "rt14", "310", "el9_2", "x86_64"]],
      ["6.1.0-18-amd64", ["6", "1", "0", "18", "amd64"]],
      ["5.15.0+rt", ["5", "15", "0_rt"]],
      ["tesdt", ["tesdt"]],
      ["5.14", ["5", "14"]],
    ];
    for (const [kernel, want] of cases) {
      it(`splits ${kernel} on '.' and '-'`, () => {
        assert.deepEqual(sut.kernelFields(kernel), want);
      });
    }
  });

  describe("given a comma", () => {
    it("does not split on it: normalisation turns it into _ first", () => {
      assert.deepEqual(sut.kernelFields("5,14,0"), ["5_14_0"]);
      assert.deepEqual(sut.kernelFields("5.14.0,rt"), ["5", "14", "0_rt"]);
    });
  });

  describe("given consecutive separators", () => {
    it("keeps the empty fields", () => {
      assert.deepEqual(sut.kernelFields("5..14"), ["5", "", "14"]);
    });
  });
});

describe("kernelVariables()", () => {
  describe("given a RHEL kernel", () => {
    it("gives the whole kernel and its first three fields", () => {
      const r = sut.kernelVariables("5.14.0-284.25.1.el9_2.x86_64");
      assert.ok(r.ok);
      assert.deepEqual(r.vars, {
        KERNEL_FULL_VERSION: "5.14.0-284.25.1.el9_2.x86_64",
        KERNEL_VERSION: "5.14.0-284.25.1.el9_2.x86_64",
        KERNEL_XYZ: "5.14.0",
        KERNEL_X: "5",
        KERNEL_Y: "14",
        KERNEL_Z: "0",
      });
    });
  });

  describe("given a RHEL real-time kernel", () => {
    it("gives the first three fields", () => {
      const r = sut.kernelVariables("5.14.0-284.25.1.rt14.310.el9_2.x86_64");
      assert.ok(r.ok);
      assert.equal(r.vars.KERNEL_XYZ, "5.14.0");
      assert.equal(r.vars.KERNEL_FULL_VERSION, "5.14.0-284.25.1.rt14.310.el9_2.x86_64");
    });
  });

  describe("given a Debian kernel", () => {
    it("gives 6.1.0", () => {
      const r = sut.kernelVariables("6.1.0-18-amd64");
      assert.ok(r.ok);
      assert.deepEqual([r.vars.KERNEL_X, r.vars.KERNEL_Y, r.vars.KERNEL_Z, r.vars.KERNEL_XYZ], ["6", "1", "0", "6.1.0"]);
    });
  });

  describe("given a kernel with characters that are normalised", () => {
    it("uses the normalised kernel in every variable", () => {
      const r = sut.kernelVariables("5.15.0+rt");
      assert.ok(r.ok);
      assert.equal(r.vars.KERNEL_FULL_VERSION, "5.15.0_rt");
      assert.equal(r.vars.KERNEL_VERSION, "5.15.0_rt");
      assert.equal(r.vars.KERNEL_Z, "0_rt");
      assert.equal(r.vars.KERNEL_XYZ, "5.15.0_rt");
    });
    it("normalises the RT kernel of a driver-toolkit", () => {
      const r = sut.kernelVariables("5.14.0-427.26.1.el9_4.x86_64+rt");
      assert.ok(r.ok);
      assert.equal(r.vars.KERNEL_FULL_VERSION, "5.14.0-427.26.1.el9_4.x86_64_rt");
    });
  });

  describe("given fewer than three fields", () => {
    const cases = ["tesdt", "5.14", "", "5,14,0"];
    for (const k of cases) {
      it(`rejects ${JSON.stringify(k)} with upstream's message`, () => {
        assert.deepEqual(sut.kernelVariables(k), {
          ok: false,
          error: `invalid kernel version ${k}: expected at least three components (major.minor.patch)`,
        });
      });
    }
  });

  describe("given exactly three fields", () => {
    it("accepts them", () => {
      const r = sut.kernelVariables("5.14.0");
      assert.ok(r.ok);
      assert.equal(r.vars.KERNEL_XYZ, "5.14.0");
    });
  });

  it("lists every variable name it gives", () => {
    const r = sut.kernelVariables("5.14.0");
    assert.ok(r.ok);
    assert.deepEqual(Object.keys(r.vars).sort(), [...sut.KERNEL_VARIABLE_NAMES].sort());
  });
});
