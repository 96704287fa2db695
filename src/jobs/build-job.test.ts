import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module } from "../api/index.js";
import { resolveModuleTarget } from "../kernel/module-target.js";
import * as sut from "./build-job.js";

const KERNEL = "5.14.0-427.13.1.el9_4.x86_64";
const module = (build: NonNullable<Module["spec"]["moduleLoader"]>["container"]["build"], secret = "pull"): Module => ({
  apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
  kind: "Module",
  metadata: { name: "gpu", namespace: "drivers" },
  spec: {
    selector: {},
    imageRepoSecret: { name: secret },
    moduleLoader: { container: { modprobe: { moduleName: "gpu" }, kernelMappings: [{ regexp: "^5", containerImage: "registry.example.com/kmm/gpu:${KERNEL_FULL_VERSION}", registryTLS: { insecure: true } }], build } },
  },
});
const job = (m: Module, push: boolean) => {
  const t = resolveModuleTarget(m, KERNEL);
  assert.ok(t.ok);
  return sut.buildBuildJob({ preflight: { name: "upgrade", uid: "pf-uid" }, module: m, target: t.target, specHash: "0123456789abcdef", builderImage: "quay.io/buildah/stable:v1.38", deadlineSeconds: 3600, destination: t.target.containerImage, push });
};

describe("buildBuildJob()", () => {
  const m = module({ dockerfileConfigMap: { name: "gpu-build" }, buildArgs: [{ name: "KERNEL_VERSION", value: "ignored" }, { name: "FW", value: "2" }], secrets: [{ name: "entitlement" }], baseImageRegistryTLS: { insecureSkipTLSVerify: true } });

  describe("given pushBuiltImage", () => {
    const j = job(m, true);
    const spec = j.spec.template.spec;
    it("builds in an init container and pushes from a second one, sharing the image storage", () => {
      assert.deepEqual(spec.initContainers!.map((c) => c.name), ["build"]);
      assert.deepEqual(spec.containers.map((c) => c.name), ["push"]);
      assert.deepEqual(spec.containers[0]!.args, [
        "--root=/var/lib/containers/storage", "--runroot=/run/containers/storage", "--storage-driver=vfs",
        "push", "--authfile=/kmm/registry-auth/config.json", "--tls-verify=false",
        `registry.example.com/kmm/gpu:${KERNEL}`, `docker://registry.example.com/kmm/gpu:${KERNEL}`,
      ]);
    });
    it("passes the Dockerfile by mount, the kernel variables over the user's build args, secrets as read-only volumes, each as one argument", () => {
      assert.deepEqual(spec.initContainers![0]!.args, [
        "--root=/var/lib/containers/storage", "--runroot=/run/containers/storage", "--storage-driver=vfs",
        "bud", "--isolation=chroot", "--file=/kmm/dockerfile/Dockerfile",
        `--build-arg=KERNEL_VERSION=${KERNEL}`, "--build-arg=FW=2", `--build-arg=KERNEL_FULL_VERSION=${KERNEL}`, "--build-arg=MOD_NAME=gpu", "--build-arg=MOD_NAMESPACE=drivers",
        "--volume=/run/secrets/entitlement:/run/secrets/entitlement:ro",
        "--authfile=/kmm/registry-auth/config.json", "--tls-verify=false",
        `--tag=registry.example.com/kmm/gpu:${KERNEL}`, "/kmm/dockerfile",
      ]);
      assert.deepEqual(spec.volumes!.find((v) => v.name === "dockerfile"), { name: "dockerfile", configMap: { name: "gpu-build", items: [{ key: "dockerfile", path: "Dockerfile" }] } });
      assert.equal(spec.initContainers![0]!.command![0], "buildah");
    });
    it("is labelled as a build Job and owned by the PreflightValidationOCP", () => {
      assert.equal(j.metadata.labels!["kmm.node.kubernetes.io/job-type"], "build");
      assert.match(j.metadata.name!, /^preflight-build-gpu-[0-9a-f]{10}$/);
      assert.equal(j.metadata.ownerReferences![0]!.uid, "pf-uid");
    });
  });

  describe("given no pushBuiltImage", () => {
    it("only builds: one container, no push", () => {
      const spec = job(m, false).spec.template.spec;
      assert.equal(spec.initContainers, undefined);
      assert.deepEqual(spec.containers.map((c) => c.name), ["build"]);
    });
  });

  describe("given hostile build args", () => {
    it("keeps each one a single literal argument", () => {
      const evil = module({ dockerfileConfigMap: { name: "gpu-build" }, buildArgs: [{ name: "X", value: "a; rm -rf / $(reboot) --push\nnext" }] });
      const args = job(evil, false).spec.template.spec.containers[0]!.args!;
      assert.ok(args.includes("--build-arg=X=a; rm -rf / $(reboot) --push\nnext"));
      assert.equal(args.filter((a) => a === "--push").length, 0);
    });
  });
});

describe("unsignedImageFor()", () => {
  it("is the Module's repository with a tag derived from the image, the Module and the kernel", () => {
    const ref = { registry: "quay.io", registryExplicit: true, repository: "acme/gpu", tag: "5.14" };
    const a = sut.unsignedImageFor(ref, { namespace: "drivers", name: "gpu" }, KERNEL);
    assert.match(a, /^quay\.io\/acme\/gpu:preflight-unsigned-[0-9a-f]{16}$/);
    assert.equal(sut.unsignedImageFor(ref, { namespace: "drivers", name: "gpu" }, KERNEL), a);
    assert.notEqual(sut.unsignedImageFor(ref, { namespace: "drivers", name: "gpu" }, "6.0.0-1"), a);
  });
});
