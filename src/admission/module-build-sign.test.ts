import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import * as sut from "./module-build-sign.js";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

describe("isUnderDirectory()", () => {
  const cases: [string, string, boolean][] = [
    ["/opt/lib/modules/5.14/my.ko", "/opt", true],
    ["/opt/lib/modules/*/extra/*.ko", "/opt/", true],
    ["/opt", "/opt", false],
    ["/opt/", "/opt", false],
    ["/optional/my.ko", "/opt", false],
    ["/opt/../etc/shadow", "/opt", false],
    ["/opt/./lib/my.ko", "/opt", true],
    ["opt/lib/my.ko", "/opt", false],
    ["/anything.ko", "/", true],
  ];
  for (const [file, dir, want] of cases) {
    it(`${file} is ${want ? "" : "not "}below ${dir}`, () => assert.equal(sut.isUnderDirectory(file, dir), want));
  }
});

describe("validateBuild()", () => {
  const P = FieldPath.root("spec", "moduleLoader", "container", "build");
  const cases: [string, unknown, [string, string][]][] = [
    ["a build as upstream documents it", { dockerfileConfigMap: { name: "d" }, buildArgs: [{ name: "A", value: "1" }], secrets: [{ name: "s" }], baseImageRegistryTLS: { insecure: true }, kanikoParams: { tag: "v1" }, selector: { "kubernetes.io/arch": "amd64" } }, []],
    ["no dockerfileConfigMap", { buildArgs: [] }, [["Required", `${P}.dockerfileConfigMap`]]],
    ["a build argument without name", { dockerfileConfigMap: { name: "d" }, buildArgs: [{ value: "1" }] }, [["Required", `${P}.buildArgs[0].name`]]],
    ["a build argument without value", { dockerfileConfigMap: { name: "d" }, buildArgs: [{ name: "A" }] }, [["Required", `${P}.buildArgs[0].value`]]],
    ["a build argument with an empty value", { dockerfileConfigMap: { name: "d" }, buildArgs: [{ name: "A", value: "" }] }, []],
    ["a secret without name", { dockerfileConfigMap: { name: "d" }, secrets: [{}] }, [["Required", `${P}.secrets[0].name`]]],
    ["TLS options that are strings", { dockerfileConfigMap: { name: "d" }, baseImageRegistryTLS: { insecure: "true" } }, [["Invalid", `${P}.baseImageRegistryTLS.insecure`]]],
    ["a build selector with a bad key", { dockerfileConfigMap: { name: "d" }, selector: { "a b": "x" } }, [["Invalid", `${P}.selector[a b]`]]],
  ];
  for (const [what, v, want] of cases) {
    it(`${want.length ? "reports" : "accepts"} ${what}`, () => assert.deepEqual(typesAndFields(sut.validateBuild(v, P)), want));
  }
});

describe("validateSign()", () => {
  const P = FieldPath.root("spec", "moduleLoader", "container", "kernelMappings").index(0).child("sign");
  const ok = { keySecret: { name: "k" }, certSecret: { name: "c" }, filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/my.ko"] };
  const cases: [string, unknown, [string, string][]][] = [
    ["a complete section", ok, []],
    ["no keySecret", { ...ok, keySecret: undefined }, [["Required", `${P}.keySecret`]]],
    ["a certSecret without name", { ...ok, certSecret: {} }, [["Required", `${P}.certSecret.name`]]],
    ["no filesToSign", { ...ok, filesToSign: undefined }, [["Required", `${P}.filesToSign`]]],
    ["an empty filesToSign", { ...ok, filesToSign: [] }, [["Required", `${P}.filesToSign`]]],
    ["a file beside dirName, sharing its prefix", { ...ok, filesToSign: ["/optical/my.ko"] }, [["Invalid", `${P}.filesToSign[0]`]]],
    ["a file climbing out of dirName", { ...ok, filesToSign: ["/opt/../etc/my.ko"] }, [["Invalid", `${P}.filesToSign[0]`]]],
    ["a file using MOD_NAME (kernel variables only)", { ...ok, filesToSign: ["/opt/${MOD_NAME}.ko"] }, [["Invalid", `${P}.filesToSign[0]`]]],
    ["an unsignedImage without a tag", { ...ok, unsignedImage: "quay.io/org/unsigned" }, [["Invalid", `${P}.unsignedImage`]]],
  ];
  for (const [what, v, want] of cases) {
    it(`${want.length ? "reports" : "accepts"} ${what}`, () => assert.deepEqual(typesAndFields(sut.validateSign(v, "/opt", P)), want));
  }
});
