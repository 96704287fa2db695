import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module } from "../api/index.js";
import type { FieldError } from "../validation/field-error.js";
import { moduleWith, validModule } from "./test-modules.js";
import * as sut from "./module-validation.js";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);
const C = "spec.moduleLoader.container";
const KM = `${C}.kernelMappings`;

type Case = readonly [what: string, change: (m: any) => void, want: readonly (readonly [string, string])[]];

/** Each case breaks the valid Module one way and names exactly the errors expected, by type and field. */
function table(cases: readonly Case[]) {
  for (const [what, change, want] of cases) {
    it(`${want.length ? "reports" : "accepts"} ${what}`, () => {
      assert.deepEqual(typesAndFields(sut.validateModule(moduleWith(change))), want);
    });
  }
}

describe("validateModule()", () => {
  describe("given a valid Module", () => {
    it("finds nothing", () => assert.deepEqual(sut.validateModule(validModule()), []));
  });

  describe("given input of any shape", () => {
    for (const o of [null, undefined, 5, "x", [], {}, { metadata: [], spec: "x" }, { metadata: { name: "m" }, spec: { selector: {}, moduleLoader: { container: { kernelMappings: [null, 5, []], modprobe: [] } } } }]) {
      it(`never throws for ${JSON.stringify(o)}`, () => {
        assert.ok(sut.validateModule(o as unknown as Module).length > 0);
      });
    }
  });

  describe("metadata", () => {
    table([
      ["a name that is no DNS subdomain, and the image ${MOD_NAME} makes of it", (m) => (m.metadata.name = "My_Driver"), [["Invalid", "metadata.name"], ["Invalid", `${KM}[1].containerImage`]]],
      ["name and namespace of 41 characters together", (m) => (m.metadata = { name: "n".repeat(30), namespace: "s".repeat(11) }), []],
      ["name and namespace of 42 characters together", (m) => (m.metadata = { name: "n".repeat(30), namespace: "s".repeat(12) }), [["Invalid", "metadata.name"]]],
      ["a long name without a namespace yet (offline)", (m) => (m.metadata = { name: "n".repeat(42) }), [["Invalid", "metadata.name"]]],
      ["a generateName that leaves no room for the suffix", (m) => (m.metadata = { generateName: "g".repeat(30), namespace: "s".repeat(7) }), [["Invalid", "metadata.generateName"]]],
      ["no name at all", (m) => (m.metadata = { namespace: "drivers" }), [["Required", "metadata.name"]]],
    ]);
  });

  describe("spec", () => {
    table([
      ["a missing spec", (m) => delete m.spec, [["Required", "spec"]]],
      ["a missing selector", (m) => delete m.spec.selector, [["Required", "spec.selector"]]],
      ["an empty selector (every node)", (m) => (m.spec.selector = {}), []],
      ["a selector key that is no label key", (m) => (m.spec.selector = { "bad key": "" }), [["Invalid", "spec.selector[bad key]"]]],
      ["a selector value that is no label value", (m) => (m.spec.selector = { gpu: true }), [["Invalid", "spec.selector[gpu]"]]],
      ["no moduleLoader (a device plugin only)", (m) => delete m.spec.moduleLoader, []],
      ["a moduleLoader without container", (m) => (m.spec.moduleLoader = {}), [["Required", "spec.moduleLoader.container"]]],
      ["an imageRepoSecret name that is no string", (m) => (m.spec.imageRepoSecret = { name: 5 }), [["Invalid", "spec.imageRepoSecret.name"]]],
      ["a fractional imageRebuildTriggerGeneration", (m) => (m.spec.imageRebuildTriggerGeneration = 1.5), [["Invalid", "spec.imageRebuildTriggerGeneration"]]],
      ["a toleration without key and operator", (m) => (m.spec.tolerations = [{ value: "x" }]), [["Invalid", "spec.tolerations[0].operator"]]],
      ["a valid toleration", (m) => (m.spec.tolerations = [{ key: "gpu", operator: "Exists", effect: "NoSchedule" }]), []],
    ]);
  });

  describe("kernelMappings", () => {
    table([
      ["no kernelMappings", (m) => delete m.spec.moduleLoader.container.kernelMappings, [["Required", KM]]],
      ["an empty kernelMappings", (m) => (m.spec.moduleLoader.container.kernelMappings = []), [["Required", KM]]],
      ["kernelMappings that is no list", (m) => (m.spec.moduleLoader.container.kernelMappings = { literal: "5" }), [["Invalid", KM]]],
      ["a mapping that is no object", (m) => (m.spec.moduleLoader.container.kernelMappings[1] = "5.14"), [["Invalid", `${KM}[1]`]]],
      ["literal and regexp both", (m) => (m.spec.moduleLoader.container.kernelMappings[1].literal = "5.14.0"), [["Forbidden", `${KM}[1].literal`]]],
      ["neither literal nor regexp", (m) => delete m.spec.moduleLoader.container.kernelMappings[0].literal, [["Required", `${KM}[0]`]]],
      ["an empty regexp and no literal", (m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = ""), [["Required", `${KM}[1]`]]],
      ["a regexp with lookahead", (m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = "^5(?=\\.14)"), [["Invalid", `${KM}[1].regexp`]]],
      ["a regexp with a backreference", (m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = "(5)\\.\\1"), [["Invalid", `${KM}[1].regexp`]]],
      ["a regexp that does not parse", (m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = "("), [["Invalid", `${KM}[1].regexp`]]],
      ["RE2-only syntax: (?i), (?P<n>) and [[:digit:]]", (m) => (m.spec.moduleLoader.container.kernelMappings[1].regexp = "(?i)^(?P<major>[[:digit:]]+)\\.14"), []],
      ["a literal that is no string", (m) => (m.spec.moduleLoader.container.kernelMappings[0].literal = 5.14), [["Invalid", `${KM}[0].literal`], ["Required", `${KM}[0]`]]],
      ["a mapping without the containerImage key", (m) => delete m.spec.moduleLoader.container.kernelMappings[0].containerImage, [["Required", `${KM}[0].containerImage`]]],
      ["an empty mapping image and no container image", (m) => (m.spec.moduleLoader.container.kernelMappings[0].containerImage = ""), [["Required", `${KM}[0].containerImage`]]],
      [
        "an empty mapping image falling back to the container's",
        (m) => {
          m.spec.moduleLoader.container.kernelMappings[0].containerImage = "";
          m.spec.moduleLoader.container.containerImage = "quay.io/org/my-driver:${KERNEL_XYZ}";
        },
        [],
      ],
      ["every error of every mapping at once", (m) => (m.spec.moduleLoader.container.kernelMappings = [{ literal: "a", regexp: "(" }, {}]), [
        ["Forbidden", `${KM}[0].literal`],
        ["Invalid", `${KM}[0].regexp`],
        ["Required", `${KM}[0].containerImage`],
        ["Required", `${KM}[1]`],
        ["Required", `${KM}[1].containerImage`],
      ]],
    ]);
  });

  describe("images (container, mapping, sign.unsignedImage)", () => {
    const mappingImage = (image: unknown) => (m: any) => (m.spec.moduleLoader.container.kernelMappings[1].containerImage = image);
    table([
      ["a registry with a port and no tag (upstream pulls :latest)", mappingImage("registry:5000/img"), [["Invalid", `${KM}[1].containerImage`]]],
      ["no tag or digest at all", mappingImage("quay.io/org/img"), [["Invalid", `${KM}[1].containerImage`]]],
      ["a digest", mappingImage(`quay.io/org/img@${"sha256:" + "a".repeat(64)}`), []],
      ["an unknown variable", mappingImage("quay.io/org/img:${KERNEL_VERSIN}"), [["Invalid", `${KM}[1].containerImage`]]],
      ["$VAR and $$ forms", mappingImage("quay.io/org/$MOD_NAMESPACE-img:v$$1-$KERNEL_X"), [["Invalid", `${KM}[1].containerImage`]]],
      ["$VAR forms that substitute into a valid tag", mappingImage("quay.io/org/$MOD_NAMESPACE-img:$KERNEL_X"), []],
      ["an unterminated ${", mappingImage("quay.io/org/img:${KERNEL_X"), [["Invalid", `${KM}[1].containerImage`]]],
      ["an uppercase repository after substitution", mappingImage("quay.io/Org/img:${KERNEL_Z}"), [["Invalid", `${KM}[1].containerImage`]]],
      ["a shell metacharacter", mappingImage("quay.io/org/img:1;rm"), [["Invalid", `${KM}[1].containerImage`]]],
      ["an image that is no string", mappingImage(["quay.io/org/img:1"]), [["Invalid", `${KM}[1].containerImage`]]],
      ["a container image without a tag", (m) => (m.spec.moduleLoader.container.containerImage = "quay.io/org/img"), [["Invalid", `${C}.containerImage`]]],
      ["MOD_NAME in an unsignedImage (kernel variables only)", (m) => {
        m.spec.moduleLoader.container.sign = { unsignedImage: "quay.io/org/${MOD_NAME}:1", keySecret: { name: "k" }, certSecret: { name: "c" }, filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/my_driver.ko"] };
      }, [["Invalid", `${C}.sign.unsignedImage`]]],
      ["an imagePullPolicy Kubernetes does not know", (m) => (m.spec.moduleLoader.container.imagePullPolicy = "Sometimes"), [["NotSupported", `${C}.imagePullPolicy`]]],
    ]);
  });

  describe("in-tree modules to remove", () => {
    const c = (f: (c: any, km: any[]) => void) => (m: any) => f(m.spec.moduleLoader.container, m.spec.moduleLoader.container.kernelMappings);
    table([
      ["inTreeModulesToRemove on the container", c((x) => (x.inTreeModulesToRemove = ["nouveau"])), []],
      ["the deprecated field alone", c((x) => (x.inTreeModuleToRemove = "nouveau")), []],
      ["both on the container", c((x) => Object.assign(x, { inTreeModulesToRemove: ["a"], inTreeModuleToRemove: "b" })), [["Forbidden", `${C}.inTreeModuleToRemove`]]],
      ["both on the container, the list empty (an empty list counts as set)", c((x) => Object.assign(x, { inTreeModulesToRemove: [], inTreeModuleToRemove: "b" })), [["Forbidden", `${C}.inTreeModuleToRemove`]]],
      ["an empty deprecated field beside the list (an empty string does not count)", c((x) => Object.assign(x, { inTreeModulesToRemove: ["a"], inTreeModuleToRemove: "" })), []],
      ["both on one mapping", c((_, km) => Object.assign(km[1], { inTreeModulesToRemove: ["a"], inTreeModuleToRemove: "b" })), [["Forbidden", `${KM}[1].inTreeModuleToRemove`]]],
      ["the list on a mapping, the deprecated field on the container", c((x, km) => {
        x.inTreeModuleToRemove = "a";
        km[0].inTreeModulesToRemove = [];
      }), [["Forbidden", `${KM}[0].inTreeModulesToRemove`]]],
      ["the deprecated field on a mapping, the list on the container", c((x, km) => {
        x.inTreeModulesToRemove = ["a"];
        km[1].inTreeModuleToRemove = "b";
      }), [["Forbidden", `${KM}[1].inTreeModuleToRemove`]]],
      ["the same field on both levels", c((x, km) => {
        x.inTreeModulesToRemove = ["a"];
        km[1].inTreeModulesToRemove = ["b"];
      }), []],
      ["a list item that is no string", c((x) => (x.inTreeModulesToRemove = ["a", 5])), [["Invalid", `${C}.inTreeModulesToRemove[1]`]]],
    ]);
  });

  describe("build and sign, through the container and the mappings", () => {
    const SIGN = { keySecret: { name: "key" }, certSecret: { name: "cert" }, filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/my_driver.ko"] };
    const BUILD = { dockerfileConfigMap: { name: "dockerfile" } };
    table([
      ["a build on a mapping", (m) => (m.spec.moduleLoader.container.kernelMappings[1].build = { ...BUILD, buildArgs: [{ name: "A", value: "" }] }), []],
      ["a build without dockerfileConfigMap", (m) => (m.spec.moduleLoader.container.kernelMappings[1].build = {}), [["Required", `${KM}[1].build.dockerfileConfigMap`]]],
      ["a build whose ConfigMap has no name", (m) => (m.spec.moduleLoader.container.build = { dockerfileConfigMap: {} }), [["Required", `${C}.build.dockerfileConfigMap.name`]]],
      ["a sign section on the container with a build", (m) => Object.assign(m.spec.moduleLoader.container, { build: BUILD, sign: SIGN }), []],
      ["a sign section with an unsignedImage and no build", (m) => (m.spec.moduleLoader.container.kernelMappings[0].sign = { ...SIGN, unsignedImage: "quay.io/org/unsigned:${KERNEL_FULL_VERSION}" }), []],
      ["a sign section on a mapping with neither build nor unsignedImage", (m) => (m.spec.moduleLoader.container.kernelMappings[0].sign = SIGN), [["Required", `${KM}[0].sign.unsignedImage`]]],
      ["a container sign section with no input for any mapping, said once", (m) => (m.spec.moduleLoader.container.sign = SIGN), [["Required", `${C}.sign.unsignedImage`]]],
      ["a container sign section with a build on the one mapping that lacks input", (m) => {
        m.spec.moduleLoader.container.sign = SIGN;
        m.spec.moduleLoader.container.kernelMappings[0].build = BUILD;
        m.spec.moduleLoader.container.kernelMappings[1].sign = { ...SIGN, unsignedImage: "quay.io/org/u:1" };
      }, []],
      ["a sign section without secrets and files", (m) => Object.assign(m.spec.moduleLoader.container, { build: BUILD, sign: {} }), [
        ["Required", `${C}.sign.keySecret`],
        ["Required", `${C}.sign.certSecret`],
        ["Required", `${C}.sign.filesToSign`],
      ]],
      ["files below a custom dirName", (m) => {
        m.spec.moduleLoader.container.modprobe.dirName = "/usr/local";
        Object.assign(m.spec.moduleLoader.container, { build: BUILD, sign: { ...SIGN, filesToSign: ["/usr/local/lib/modules/${KERNEL_FULL_VERSION}/extra/*.ko"] } });
      }, []],
      ["a file under the default dirName when dirName is custom", (m) => {
        m.spec.moduleLoader.container.modprobe.dirName = "/usr/local";
        Object.assign(m.spec.moduleLoader.container, { build: BUILD, sign: SIGN });
      }, [["Invalid", `${C}.sign.filesToSign[0]`]]],
    ]);
  });

  describe("devicePlugin and dra", () => {
    table([
      ["a device plugin with an allowed hostPath", (m) => (m.spec.devicePlugin = { container: { image: "quay.io/org/dp:1" }, volumes: [{ name: "d", hostPath: { path: "/var/lib/kubelet/device-plugins" } }] }), []],
      ["a device plugin mounting /etc", (m) => (m.spec.devicePlugin = { container: { image: "quay.io/org/dp:1" }, volumes: [{ name: "e", hostPath: { path: "/etc" } }] }), [["Invalid", "spec.devicePlugin.volumes[0].hostPath.path"]]],
      ["a device plugin without an image", (m) => (m.spec.devicePlugin = { container: {} }), [["Required", "spec.devicePlugin.container.image"]]],
      ["dra and devicePlugin together", (m) => {
        m.spec.devicePlugin = { container: { image: "quay.io/org/dp:1" } };
        m.spec.dra = { container: { image: "quay.io/org/dra:1" }, driverName: "gpu.example.com" };
      }, [["Forbidden", "spec.dra"]]],
      ["a dra driver without a driverName", (m) => (m.spec.dra = { container: { image: "quay.io/org/dra:1" } }), [["Required", "spec.dra.driverName"]]],
    ]);
  });
});

describe("validateModuleUpdate()", () => {
  const withVersion = (v: string | undefined) => moduleWith((m) => (m.spec.moduleLoader.container.version = v));

  describe("given a version change", () => {
    const cases: [string | undefined, string | undefined, boolean][] = [
      [undefined, "1.0", false],
      ["", "1.0", false],
      ["1.0", "", false],
      ["1.0", undefined, false],
      ["1.0", "1.1", true],
      [undefined, "", true],
    ];
    for (const [from, to, ok] of cases) {
      it(`${ok ? "allows" : "forbids"} ${JSON.stringify(from) ?? "unset"} -> ${JSON.stringify(to) ?? "unset"}`, () => {
        assert.deepEqual(typesAndFields(sut.validateModuleUpdate(withVersion(to), withVersion(from))), ok ? [] : [["Forbidden", `${C}.version`]]);
      });
    }
    it("does not apply when either object has no moduleLoader", () => {
      const noLoader = moduleWith((m) => delete m.spec.moduleLoader);
      assert.deepEqual(sut.validateModuleUpdate(withVersion("1.0"), noLoader), []);
    });
  });

  describe("given an object stored before a rule existed (ratcheting)", () => {
    const stored = moduleWith((m) => {
      m.spec.moduleLoader.container.kernelMappings[1].containerImage = "registry:5000/img";
      m.spec.tolerations = [{ value: "x" }];
    });

    it("allows an unrelated change", () => {
      const updated = moduleWith((m) => {
        m.spec.moduleLoader.container.kernelMappings[1].containerImage = "registry:5000/img";
        m.spec.tolerations = [{ value: "x" }];
        m.metadata.labels = { team: "gpu" };
      });
      assert.deepEqual(sut.validateModuleUpdate(updated, stored), []);
    });

    it("still denies a new problem in another list item", () => {
      const updated = moduleWith((m) => {
        m.spec.moduleLoader.container.kernelMappings[1].containerImage = "registry:5000/img";
        m.spec.moduleLoader.container.kernelMappings[0].containerImage = "quay.io/org/img";
        m.spec.tolerations = [{ value: "x" }];
      });
      assert.deepEqual(typesAndFields(sut.validateModuleUpdate(updated, stored)), [["Invalid", `${KM}[0].containerImage`]]);
    });

    it("denies a changed value that is still invalid", () => {
      const updated = moduleWith((m) => {
        m.spec.moduleLoader.container.kernelMappings[1].containerImage = "registry:5001/img";
        m.spec.tolerations = [{ value: "x" }];
      });
      assert.deepEqual(typesAndFields(sut.validateModuleUpdate(updated, stored)), [["Invalid", `${KM}[1].containerImage`]]);
    });
  });
});
