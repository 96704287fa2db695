import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import * as sut from "./module-modprobe.js";

const P = FieldPath.root("spec", "moduleLoader", "container", "modprobe");
const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

describe("validateModprobe()", () => {
  const cases: [string, unknown, [string, string][]][] = [
    ["a moduleName", { moduleName: "my_driver" }, []],
    ["every field as upstream documents it", { moduleName: "a", dirName: "/opt", parameters: ["x=1"], firmwarePath: "/firmware", args: { load: ["-v"], unload: ["-v"] }, modulesLoadingOrder: ["a", "b", "c"] }, []],
    ["rawArgs with load and unload instead of moduleName", { rawArgs: { load: ["-d", "/opt", "a"], unload: ["-r", "a"] } }, []],
    ["no modprobe", undefined, [["Required", "spec.moduleLoader.container.modprobe"]]],
    ["modprobe that is no object", "my_driver", [["Invalid", "spec.moduleLoader.container.modprobe"]]],
    ["neither moduleName nor rawArgs", {}, [["Required", `${P}.moduleName`]]],
    ["moduleName and rawArgs", { moduleName: "a", rawArgs: { load: ["a"] } }, [["Forbidden", `${P}.rawArgs`]]],
    ["rawArgs without unload", { rawArgs: { load: ["a"] } }, [["Required", `${P}.rawArgs.unload`]]],
    ["rawArgs with an empty unload", { rawArgs: { load: ["a"], unload: [] } }, [["Invalid", `${P}.rawArgs.unload`]]],
    ["an empty args.load", { moduleName: "a", args: { load: [] } }, [["Invalid", `${P}.args.load`]]],
    ["a moduleName that is a path", { moduleName: "/opt/a.ko" }, [["Invalid", `${P}.moduleName`]]],
    ["a moduleName with the .ko suffix", { moduleName: "a.ko" }, [["Invalid", `${P}.moduleName`]]],
    ["a relative dirName", { moduleName: "a", dirName: "opt" }, [["Invalid", `${P}.dirName`]]],
    ["an empty dirName (the default applies)", { moduleName: "a", dirName: "" }, []],
    ["parameters that are no list of strings", { moduleName: "a", parameters: ["x=1", 2] }, [["Invalid", `${P}.parameters[1]`]]],
    ["an empty modulesLoadingOrder (present counts)", { moduleName: "a", modulesLoadingOrder: [] }, [["Invalid", `${P}.modulesLoadingOrder`]]],
    ["a modulesLoadingOrder of one", { moduleName: "a", modulesLoadingOrder: ["a"] }, [["Invalid", `${P}.modulesLoadingOrder`]]],
    ["a modulesLoadingOrder not starting with moduleName", { moduleName: "a", modulesLoadingOrder: ["b", "a"] }, [["Invalid", `${P}.modulesLoadingOrder[0]`]]],
    ["a modulesLoadingOrder with a duplicate", { moduleName: "a", modulesLoadingOrder: ["a", "b", "b"] }, [["Duplicate", `${P}.modulesLoadingOrder[2]`]]],
    ["a modulesLoadingOrder without moduleName", { rawArgs: { load: ["a"], unload: ["a"] }, modulesLoadingOrder: ["a", "b"] }, [["Forbidden", `${P}.modulesLoadingOrder`]]],
  ];
  for (const [what, v, want] of cases) {
    it(`${want.length ? "reports" : "accepts"} ${what}`, () => assert.deepEqual(typesAndFields(sut.validateModprobe(v, P)), want));
  }
});
