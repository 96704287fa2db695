import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MODULE_API_VERSION, MODULE_KIND, type KernelMapping, type Module, type ModuleLoaderContainerSpec } from "../api/module.js";
import * as sut from "./module-target.js";

const KERNEL = "5.14.0-284.25.1.el9_2.x86_64";
const RT_KERNEL = "5.14.0-427.26.1.el9_4.x86_64+rt";
const DIGEST = `sha256:${"a".repeat(64)}`;

function moduleWith(container: Partial<ModuleLoaderContainerSpec>, spec: Partial<Module["spec"]> = {}): Module {
  return {
    apiVersion: MODULE_API_VERSION,
    kind: MODULE_KIND,
    metadata: { name: "kmm-ci", namespace: "ns1" },
    spec: {
      selector: { "node-role.kubernetes.io/worker": "" },
      moduleLoader: { container: { modprobe: { moduleName: "kmm_ci_a" }, kernelMappings: [{ regexp: "^.+$" }], ...container } },
      ...spec,
    },
  };
}

function targetOf(m: Module, kernel = KERNEL): sut.ModuleTarget {
  const r = sut.resolveModuleTarget(m, kernel);
  assert.ok(r.ok, r.ok ? "" : r.reason);
  return r.target;
}

function failureOf(m: Module, kernel = KERNEL) {
  const r = sut.resolveModuleTarget(m, kernel);
  assert.ok(!r.ok, `expected a failure, got ${JSON.stringify(r)}`);
  return r;
}

describe("resolveModuleTarget()", () => {
  describe("given a Module without moduleLoader", () => {
    it("skips it without crashing", () => {
      const m = moduleWith({});
      delete m.spec.moduleLoader;
      assert.deepEqual(sut.resolveModuleTarget(m, KERNEL), { ok: false, reason: "Module has no moduleLoader: nothing to validate", skip: true });
    });
    it("survives a Module with no spec at all", () => {
      const r = sut.resolveModuleTarget({ metadata: {} } as unknown as Module, KERNEL);
      assert.ok(!r.ok);
      assert.equal(r.skip, true);
    });
  });

  describe("given a moduleLoader without container", () => {
    it("fails with the field path, not a crash", () => {
      const m = moduleWith({});
      (m.spec.moduleLoader as { container?: unknown }).container = undefined;
      const r = failureOf(m);
      assert.equal(r.errors?.[0]?.field, "spec.moduleLoader.container");
      assert.equal(r.skip, undefined);
    });
  });

  describe("given the simplest Module", () => {
    it("resolves the container image with variables substituted and the defaults", () => {
      const m = moduleWith({ containerImage: "quay.io/org/${MOD_NAMESPACE}-${MOD_NAME}:${KERNEL_FULL_VERSION}" }, { imageRepoSecret: { name: "pull" } });
      const { imageReference, ...rest } = targetOf(m);
      assert.deepEqual(
        [imageReference.registry, imageReference.repository, imageReference.tag, imageReference.digest],
        ["quay.io", "org/ns1-kmm-ci", KERNEL, undefined],
      );
      assert.deepEqual(rest, {
        kernel: KERNEL,
        mappingIndex: 0,
        containerImage: `quay.io/org/ns1-kmm-ci:${KERNEL}`,
        registryTLS: {},
        moduleName: "kmm_ci_a",
        dirName: "/opt",
        imageRepoSecret: { name: "pull" },
      });
    });
  });

  describe("given a modprobe dirName", () => {
    it("uses it, and /opt when empty", () => {
      assert.equal(targetOf(moduleWith({ containerImage: "quay.io/a:b", modprobe: { moduleName: "m", dirName: "/usr" } })).dirName, "/usr");
      assert.equal(targetOf(moduleWith({ containerImage: "quay.io/a:b", modprobe: { moduleName: "m", dirName: "" } })).dirName, "/opt");
    });
  });

  describe("given kernel mappings", () => {
    it("uses the first that matches the raw kernel", () => {
      const m = moduleWith({
        containerImage: "quay.io/org/default:${KERNEL_XYZ}",
        kernelMappings: [{ literal: "4.18.0" }, { regexp: "\\+rt$", containerImage: "quay.io/org/rt:${KERNEL_FULL_VERSION}" }, { regexp: "^5" }],
      });
      const t = targetOf(m, RT_KERNEL);
      assert.equal(t.mappingIndex, 1);
      assert.equal(t.kernel, RT_KERNEL);
      assert.equal(t.containerImage, "quay.io/org/rt:5.14.0-427.26.1.el9_4.x86_64_rt");
      assert.equal(targetOf(m, KERNEL).mappingIndex, 2);
    });

    it("fails with upstream's reason and what to fix when none matches", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/a:b", kernelMappings: [{ literal: "4.18.0" }, { regexp: "" }] }));
      assert.match(r.reason, /^failed to find mapping for kernel 5\.14\.0-284\.25\.1\.el9_2\.x86_64: kernel mapping not found; /);
      assert.match(r.reason, /spec\.moduleLoader\.container\.kernelMappings/);
    });

    it("fails without crashing when kernelMappings is missing", () => {
      const m = moduleWith({ containerImage: "quay.io/a:b" });
      delete (m.spec.moduleLoader!.container as Partial<ModuleLoaderContainerSpec>).kernelMappings;
      assert.match(failureOf(m).reason, /kernel mapping not found/);
    });

    it("fails with the field path of a regexp RE2 cannot compile", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/a:b", kernelMappings: [{ literal: "4.18.0" }, { regexp: "^5(?=\\.)" }] }));
      assert.match(r.reason, /^spec\.moduleLoader\.container\.kernelMappings\[1\]\.regexp: invalid RE2/);
      assert.deepEqual(
        r.errors?.map((e) => [e.type, e.field]),
        [["Invalid", "spec.moduleLoader.container.kernelMappings[1].regexp"]],
      );
    });
  });

  describe("given a kernel with fewer than three fields", () => {
    it("fails with upstream's message once a mapping matches", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/a:b" }), "tesdt");
      assert.equal(r.reason, "invalid kernel version tesdt: expected at least three components (major.minor.patch)");
      assert.equal(failureOf(moduleWith({ containerImage: "quay.io/a:b" }), "5.14").reason.startsWith("invalid kernel version 5.14:"), true);
    });
  });

  describe("given containerImage on the mapping and the container", () => {
    it("uses the mapping's", () => {
      const m = moduleWith({ containerImage: "quay.io/org/c:1", kernelMappings: [{ regexp: "^5", containerImage: "quay.io/org/m:1" }] });
      assert.equal(targetOf(m).containerImage, "quay.io/org/m:1");
    });
    it("falls back to the container's when the mapping's is empty", () => {
      const m = moduleWith({ containerImage: "quay.io/org/c:1", kernelMappings: [{ regexp: "^5", containerImage: "" }] });
      assert.equal(targetOf(m).containerImage, "quay.io/org/c:1");
    });
  });

  describe("given no containerImage anywhere", () => {
    it("fails with a Required error on the mapping", () => {
      const r = failureOf(moduleWith({ kernelMappings: [{ literal: "x" }, { regexp: "^5", containerImage: "" }] }));
      assert.deepEqual(
        r.errors?.map((e) => [e.type, e.field]),
        [["Required", "spec.moduleLoader.container.kernelMappings[1].containerImage"]],
      );
      assert.match(r.reason, /spec\.moduleLoader\.container\.kernelMappings\[1\]\.containerImage: Required value: set containerImage/);
    });
  });

  describe("given a containerImage with an unknown variable", () => {
    it("fails at the field it came from", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/org/${MODULE_NAME}:${KERNEL_XYZ}" }));
      assert.deepEqual(
        r.errors?.map((e) => [e.type, e.field]),
        [["Invalid", "spec.moduleLoader.container.containerImage"]],
      );
      assert.match(r.reason, /unknown variable MODULE_NAME/);
      assert.match(r.reason, /MOD_NAME, MOD_NAMESPACE/);
    });
    it("names the mapping's field when the mapping's image is used", () => {
      const r = failureOf(moduleWith({ kernelMappings: [{ regexp: "^5", containerImage: "quay.io/org/x:${KERNEL_FULL_VERSION" }] }));
      assert.equal(r.errors?.[0]?.field, "spec.moduleLoader.container.kernelMappings[0].containerImage");
      assert.match(r.reason, /unterminated/);
    });
  });

  describe("given a containerImage that is no valid reference after substitution", () => {
    it("reports the parse errors with the substituted value", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/Org/${MOD_NAME}:${KERNEL_FULL_VERSION}" }));
      assert.equal(r.errors?.[0]?.field, "spec.moduleLoader.container.containerImage");
      assert.equal(r.errors?.[0]?.badValue, "quay.io/Org/${MOD_NAME}:${KERNEL_FULL_VERSION}");
      assert.match(r.reason, /gives "quay\.io\/Org\/kmm-ci:5\.14\.0-284\.25\.1\.el9_2\.x86_64", which is not a valid image reference: .*lowercase/);
    });
    it("accepts a digest reference", () => {
      assert.equal(targetOf(moduleWith({ containerImage: `quay.io/org/m@${DIGEST}` })).imageReference.digest, DIGEST);
    });
  });

  describe("given registryTLS", () => {
    it("uses the mapping's when set, else the container's, else {}", () => {
      const container = { containerImage: "quay.io/a:b", registryTLS: { insecure: true } };
      assert.deepEqual(targetOf(moduleWith({ ...container, kernelMappings: [{ regexp: "^5", registryTLS: { insecureSkipTLSVerify: true } }] })).registryTLS, {
        insecureSkipTLSVerify: true,
      });
      assert.deepEqual(targetOf(moduleWith(container)).registryTLS, { insecure: true });
      assert.deepEqual(targetOf(moduleWith({ containerImage: "quay.io/a:b" })).registryTLS, {});
    });
  });

  describe("given build sections", () => {
    it("merges them: dockerfile and args from the mapping, secrets appended, base TLS from the container", () => {
      const m = moduleWith({
        containerImage: "quay.io/a:b",
        build: {
          dockerfileConfigMap: { name: "c-df" },
          buildArgs: [
            { name: "Y", value: "c" },
            { name: "X", value: "c" },
          ],
          secrets: [{ name: "c-s" }],
          baseImageRegistryTLS: { insecure: true },
        },
        kernelMappings: [
          {
            regexp: "^5",
            build: {
              dockerfileConfigMap: { name: "m-df" },
              buildArgs: [
                { name: "W", value: "m" },
                { name: "X", value: "m" },
                { name: "A", value: "m" },
              ],
              secrets: [{ name: "m-s" }],
              baseImageRegistryTLS: { insecureSkipTLSVerify: true },
            },
          },
        ],
      });
      assert.deepEqual(targetOf(m).build, {
        dockerfileConfigMap: { name: "m-df" },
        buildArgs: [
          { name: "Y", value: "c" },
          { name: "X", value: "m" },
          { name: "A", value: "m" },
          { name: "W", value: "m" },
        ],
        secrets: [{ name: "c-s" }, { name: "m-s" }],
        baseImageRegistryTLS: { insecure: true },
      });
    });
    it("leaves build out when neither level has one", () => {
      assert.equal("build" in targetOf(moduleWith({ containerImage: "quay.io/a:b" })), false);
    });
  });

  describe("given sign sections", () => {
    const sign = {
      unsignedImage: "quay.io/org/unsigned:${KERNEL_FULL_VERSION}",
      unsignedImageRegistryTLS: { insecure: true },
      keySecret: { name: "c-key" },
      certSecret: { name: "c-cert" },
      filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/a.ko"],
    };

    it("merges them and substitutes kernel variables in unsignedImage and filesToSign", () => {
      const mapping: KernelMapping = {
        regexp: "^5",
        sign: { keySecret: { name: "m-key" }, filesToSign: ["/opt/lib/modules/$KERNEL_FULL_VERSION/b.ko"], unsignedImageRegistryTLS: {} },
      };
      const t = targetOf(moduleWith({ containerImage: "quay.io/a:b", sign, kernelMappings: [mapping] }));
      assert.deepEqual(t.sign, {
        unsignedImage: `quay.io/org/unsigned:${KERNEL}`,
        unsignedImageRegistryTLS: { insecure: true },
        keySecret: { name: "m-key" },
        certSecret: { name: "c-cert" },
        filesToSign: [`/opt/lib/modules/${KERNEL}/a.ko`, `/opt/lib/modules/${KERNEL}/b.ko`],
      });
    });

    it("uses the mapping's unsignedImage when set", () => {
      const t = targetOf(moduleWith({ containerImage: "quay.io/a:b", sign, kernelMappings: [{ regexp: "^5", sign: { unsignedImage: "quay.io/m:${KERNEL_XYZ}" } }] }));
      assert.equal(t.sign?.unsignedImage, "quay.io/m:5.14.0");
    });

    it("rejects MOD_NAME in unsignedImage at the field it came from", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/a:b", kernelMappings: [{ regexp: "^5", sign: { ...sign, unsignedImage: "quay.io/${MOD_NAME}:x" } }] }));
      assert.deepEqual(
        r.errors?.map((e) => e.field),
        ["spec.moduleLoader.container.kernelMappings[0].sign.unsignedImage"],
      );
      assert.match(r.reason, /unknown variable MOD_NAME/);
    });

    it("rejects MOD_NAMESPACE in filesToSign at the field it came from", () => {
      const r = failureOf(
        moduleWith({
          containerImage: "quay.io/a:b",
          sign,
          kernelMappings: [{ regexp: "^5", sign: { filesToSign: ["/opt/ok.ko", "/opt/${MOD_NAMESPACE}.ko"] } }],
        }),
      );
      assert.deepEqual(
        r.errors?.map((e) => e.field),
        ["spec.moduleLoader.container.kernelMappings[0].sign.filesToSign[1]"],
      );
    });

    it("names the container's field for a container file", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/a:b", sign: { ...sign, filesToSign: ["/opt/${MOD_NAME}.ko"] } }));
      assert.deepEqual(
        r.errors?.map((e) => e.field),
        ["spec.moduleLoader.container.sign.filesToSign[0]"],
      );
    });

    it("reports every field error at once", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/${X}:b", sign: { ...sign, unsignedImage: "${Y}", filesToSign: ["${Z}"] } }));
      assert.deepEqual(
        r.errors?.map((e) => e.field),
        ["spec.moduleLoader.container.containerImage", "spec.moduleLoader.container.sign.unsignedImage", "spec.moduleLoader.container.sign.filesToSign[0]"],
      );
    });
  });

  // KMM's CRD checks these types; an old or schemaless one may not, and the merges and Job builders
  // behind this function assume them. Each becomes a failure naming the field, never a throw.
  describe("given fields of the wrong type (as a schemaless Module CRD lets through)", () => {
    const M = "spec.moduleLoader.container.kernelMappings[0]";
    const C = "spec.moduleLoader.container";
    const cases: [string, Partial<ModuleLoaderContainerSpec>, string[]][] = [
      ["sign.filesToSign a string", { sign: { keySecret: { name: "k" }, certSecret: { name: "c" }, unsignedImage: "quay.io/a/b:1", filesToSign: "/opt/x.ko" as never } }, [`${C}.sign.filesToSign`]],
      ["a sign.filesToSign item null", { kernelMappings: [{ regexp: "^.+$", sign: { filesToSign: [null as never] } }] }, [`${M}.sign.filesToSign[0]`]],
      ["build.buildArgs an object", { build: { dockerfileConfigMap: { name: "d" }, buildArgs: { name: "A" } as never } }, [`${C}.build.buildArgs`]],
      ["a build.buildArgs item null, and secrets a number", { kernelMappings: [{ regexp: "^.+$", build: { buildArgs: [null as never], secrets: 5 as never } }] }, [`${M}.build.buildArgs[0]`, `${M}.build.secrets`]],
      ["containerImage a number", { kernelMappings: [{ regexp: "^.+$", containerImage: 5 as never }] }, [`${M}.containerImage`]],
      ["sign.unsignedImage an object", { sign: { keySecret: { name: "k" }, certSecret: { name: "c" }, unsignedImage: { image: "x" } as never } }, [`${C}.sign.unsignedImage`]],
      ["build a list", { build: [] as never }, [`${C}.build`]],
      ["modprobe.dirName a number", { modprobe: { moduleName: "m", dirName: 7 as never } }, [`${C}.modprobe.dirName`]],
    ];
    for (const [what, container, fields] of cases) {
      it(`given ${what}, fails naming ${fields.join(" and ")}`, () => {
        const r = failureOf(moduleWith({ containerImage: "quay.io/org/m:1", ...container }));
        assert.deepEqual(r.errors?.map((e) => [e.type, e.field]), fields.map((f) => ["Invalid", f]));
        for (const f of fields) assert.ok(r.reason.includes(f), r.reason);
      });
    }

    it("fails an imageRepoSecret that is not an object with a name, naming it", () => {
      const r = failureOf(moduleWith({ containerImage: "quay.io/org/m:1" }, { imageRepoSecret: "pull" as never }));
      assert.deepEqual(r.errors?.map((e) => [e.type, e.field]), [["Invalid", "spec.imageRepoSecret"]]);
    });
  });

  describe("given a resolved target", () => {
    it("shares no objects with the Module", () => {
      const m = moduleWith({ containerImage: "quay.io/a:b", registryTLS: { insecure: true } }, { imageRepoSecret: { name: "pull" } });
      const before = structuredClone(m);
      const t = targetOf(m);
      (t.registryTLS as { insecure?: boolean }).insecure = false;
      (t.imageRepoSecret as { name?: string }).name = "changed";
      assert.deepEqual(m, before);
    });
  });
});
