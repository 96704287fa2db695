import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module } from "../api/module.js";
import * as sut from "./build-job-args.js";

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64+rt";
const MODULE: Pick<Module, "metadata"> = { metadata: { name: "kmm-ci", namespace: "ns1" } };

describe("buildArgsFor()", () => {
  describe("given no build args of the Module", () => {
    it("passes the system args in sorted name order, with the raw kernel", () => {
      assert.deepEqual(sut.buildArgsFor({ kernel: KERNEL }, MODULE), [
        { name: "KERNEL_FULL_VERSION", value: KERNEL },
        { name: "KERNEL_VERSION", value: KERNEL },
        { name: "MOD_NAME", value: "kmm-ci" },
        { name: "MOD_NAMESPACE", value: "ns1" },
      ]);
    });
  });

  describe("given build args of the Module", () => {
    it("keeps them first and lets the system args win over the same names", () => {
      const build = {
        buildArgs: [
          { name: "MY_MODULE", value: "kmm_ci_a" },
          { name: "KERNEL_VERSION", value: "4.18.0" },
        ],
      };
      assert.deepEqual(sut.buildArgsFor({ kernel: KERNEL, build }, MODULE), [
        { name: "MY_MODULE", value: "kmm_ci_a" },
        { name: "KERNEL_VERSION", value: KERNEL },
        { name: "KERNEL_FULL_VERSION", value: KERNEL },
        { name: "MOD_NAME", value: "kmm-ci" },
        { name: "MOD_NAMESPACE", value: "ns1" },
      ]);
      assert.equal(build.buildArgs[1]!.value, "4.18.0", "input not modified");
    });
  });

  describe("given a driver-toolkit image", () => {
    it("passes it as DTK_AUTO", () => {
      const args = sut.buildArgsFor({ kernel: KERNEL }, MODULE, { dtkImage: "quay.io/dtk@sha256:abc" });
      assert.deepEqual(args[0], { name: "DTK_AUTO", value: "quay.io/dtk@sha256:abc" });
    });
  });
});
