import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module } from "../api/index.js";
import { parseCheckArgs } from "../cli/check.js";
import * as sut from "./image-job.js";

const module: Module = {
  apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
  kind: "Module",
  metadata: { name: "gpu", namespace: "drivers", uid: "m-uid", resourceVersion: "7", managedFields: [] } as Module["metadata"],
  spec: {
    selector: { "node-role.kubernetes.io/worker": "" },
    imageRepoSecret: { name: "pull" },
    moduleLoader: { container: { modprobe: { moduleName: "gpu" }, kernelMappings: [{ regexp: "^5", containerImage: "quay.io/acme/gpu:${KERNEL_FULL_VERSION}" }] } },
  },
};
const params: sut.ImageJobParams = { preflight: { name: "upgrade", uid: "pf-uid" }, module, kernel: "5.14.0-427.13.1.el9_4.x86_64", specHash: "0123456789abcdef", image: "quay.io/kmm/kmm-preflight:1.0", deadlineSeconds: 600 };

describe("buildImageJob()", () => {
  describe("given a Module with a pull secret", () => {
    const job = sut.buildImageJob(params);
    const labels = {
      "app.kubernetes.io/managed-by": "kmm-preflight",
      "kmm.node.kubernetes.io/module.name": "gpu",
      "kmm.node.kubernetes.io/job-type": "image",
      "preflight.kmm.sigs.x-k8s.io/name": "upgrade",
      "preflight.kmm.sigs.x-k8s.io/spec-hash": "0123456789abcdef",
    };

    it("is the Job the README documents (golden)", () => {
      assert.deepEqual(job, {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
          name: "preflight-image-gpu-63e2ab4a23",
          namespace: "drivers",
          labels,
          ownerReferences: [{ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", name: "upgrade", uid: "pf-uid", controller: true }],
        },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 600,
          ttlSecondsAfterFinished: 86400,
          template: {
            metadata: {
              labels,
              annotations: {
                "preflight.kmm.sigs.x-k8s.io/module": JSON.stringify({
                  apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
                  kind: "Module",
                  metadata: { name: "gpu", namespace: "drivers" },
                  spec: { selector: { "node-role.kubernetes.io/worker": "" }, imageRepoSecret: { name: "pull" }, moduleLoader: module.spec.moduleLoader },
                }),
              },
            },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "check",
                  image: "quay.io/kmm/kmm-preflight:1.0",
                  args: [
                    "check",
                    "--module=/etc/kmm-preflight/module/module.json",
                    "--kernel=5.14.0-427.13.1.el9_4.x86_64",
                    "--output=json",
                    "--termination-message-path=/dev/termination-log",
                    "--pull-secret=/var/run/secrets/kmm-preflight/pull-secret/config.json",
                  ],
                  terminationMessagePath: "/dev/termination-log",
                  terminationMessagePolicy: "File",
                  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                  securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
                  volumeMounts: [
                    { name: "module", mountPath: "/etc/kmm-preflight/module", readOnly: true },
                    { name: "pull-secret", mountPath: "/var/run/secrets/kmm-preflight/pull-secret", readOnly: true },
                    { name: "tmp", mountPath: "/tmp" },
                  ],
                },
              ],
              volumes: [
                { name: "module", downwardAPI: { items: [{ path: "module.json", fieldRef: { fieldPath: "metadata.annotations['preflight.kmm.sigs.x-k8s.io/module']" } }] } },
                { name: "pull-secret", secret: { secretName: "pull", items: [{ key: ".dockerconfigjson", path: "config.json" }] } },
                { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
              ],
            },
          },
        },
      });
    });

    it("has no command: the image's entrypoint is the CLI, and its args parse as the check a person runs", () => {
      const c = job.spec.template.spec.containers[0]!;
      assert.equal(c.command, undefined);
      const parsed = parseCheckArgs(c.args!.slice(1));
      assert.ok(parsed.ok, JSON.stringify(parsed));
      assert.equal(parsed.options.kernel, params.kernel);
      assert.equal(parsed.options.terminationMessagePath, c.terminationMessagePath);
      assert.equal(parsed.options.pullSecret, "/var/run/secrets/kmm-preflight/pull-secret/config.json");
    });
  });

  describe("given a Module without a pull secret", () => {
    it("mounts no Secret and passes no --pull-secret", () => {
      const job = sut.buildImageJob({ ...params, module: { ...module, spec: { ...module.spec, imageRepoSecret: undefined } } });
      const spec = job.spec.template.spec;
      assert.deepEqual(spec.volumes!.map((v) => v.name), ["module", "tmp"]);
      assert.ok(!spec.containers[0]!.args!.some((a) => a.startsWith("--pull-secret")));
    });
  });

  describe("given hostile values", () => {
    for (const kernel of ["5.14.0; rm -rf /", "$(reboot)", "--pull-secret=/etc/shadow", "5.14\n--insecure-registry=evil", "-h"]) {
      it(`passes the kernel ${JSON.stringify(kernel)} as one literal argument`, () => {
        const args = sut.buildImageJob({ ...params, kernel }).spec.template.spec.containers[0]!.args!;
        const parsed = parseCheckArgs(args.slice(1));
        assert.ok(parsed.ok, JSON.stringify(parsed));
        assert.equal(parsed.options.kernel, kernel);
        assert.equal(parsed.options.pullSecret, "/var/run/secrets/kmm-preflight/pull-secret/config.json");
        assert.deepEqual(parsed.options.insecureRegistries, []);
      });
    }

    it("keeps a hostile image name in the Module annotation, never in the arguments", () => {
      const evil = structuredClone(module);
      evil.spec.moduleLoader!.container.kernelMappings[0]!.containerImage = "quay.io/a/b:1 $(curl evil) ; --insecure-registry x";
      const job = sut.buildImageJob({ ...params, module: evil });
      assert.ok(!job.spec.template.spec.containers[0]!.args!.some((a) => a.includes("evil")));
      assert.match(job.spec.template.metadata.annotations![sut.MODULE_ANNOTATION]!, /curl evil/);
    });

    it("derives valid names and labels from 253-character names", () => {
      const long = "m".repeat(253);
      const job = sut.buildImageJob({ ...params, preflight: { name: "p".repeat(253), uid: "u" }, module: { ...module, metadata: { name: long, namespace: "drivers" } } });
      assert.ok(job.metadata.name!.length <= 63);
      for (const v of Object.values(job.metadata.labels!)) assert.match(v, /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/), assert.ok(v.length <= 63);
    });
  });
});
