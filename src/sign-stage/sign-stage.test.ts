import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module, Sign } from "../api/index.js";
import { issued, selfSigned } from "../../test/support/signing-keys.js";
import { loadSigningKey } from "../sign/index.js";
import * as sut from "./sign-stage.js";

// The verdicts the sign stage reaches from the Module, the request and the key alone: before any
// registry request (the registry here fails the test if it is asked anything).

const KERNEL = "5.14.0-427.el9.x86_64";
const untouchable: sut.SignRegistry = new Proxy({} as sut.SignRegistry, {
  get: (_, method) => () => assert.fail(`the registry was asked (${String(method)}) although the Module decides the verdict`),
});

function moduleWith(sign: Partial<Sign> | undefined, over: { moduleLoader?: boolean } = {}): Module {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: "drv", namespace: "ns" },
    spec: {
      selector: {},
      ...(over.moduleLoader !== false && {
        moduleLoader: {
          container: {
            modprobe: { moduleName: "drv" },
            kernelMappings: [
              {
                literal: KERNEL,
                containerImage: "reg.example.com/drv:${KERNEL_FULL_VERSION}",
                ...(sign && { sign: { unsignedImage: "reg.example.com/drv-unsigned:${KERNEL_FULL_VERSION}", keySecret: { name: "k" }, certSecret: { name: "c" }, filesToSign: [`/opt/lib/modules/${KERNEL}/drv.ko`], ...sign } }),
              },
            ],
          },
        },
      }),
    },
  } as Module;
}

const goodKey = () => loadSigningKey(Buffer.from(issued().keyPem), Buffer.from(issued().certPem));
const run = (m: Module, over: Partial<sut.SignStageRequest> = {}) => sut.signModuleImage(m, { kernel: KERNEL, signingKey: goodKey(), push: false, ...over }, { registry: untouchable });

describe("signModuleImage()", () => {
  describe("given what the Module or the request gets wrong", () => {
    const cases: [string, Module, Partial<sut.SignStageRequest>, RegExp][] = [
      ["no sign section", moduleWith(undefined), {}, /no sign section applies to kernel .*kernelMappings\[0\]\.sign/],
      ["no filesToSign", moduleWith({ filesToSign: [] }), {}, /lists no filesToSign/],
      ["a file outside dirName", moduleWith({ filesToSign: ["/etc/passwd"] }), {}, /must lie below modprobe\.dirName \/opt\/: "\/etc\/passwd"/],
      ["no unsigned image and no build output", moduleWith({ unsignedImage: "" }), {}, /sign\.unsignedImage is not set/],
      ["an unsigned image that is no reference", moduleWith({ unsignedImage: "Reg/UPPER:tag" }), {}, /sign\.unsignedImage "Reg\/UPPER:tag" is not a valid image reference/],
      ["an output image that looks like a flag", moduleWith({}), { outputImage: "--push" }, /the output image "--push" is not a valid image reference/],
      ["a push to a digest", moduleWith({}), { push: true, outputImage: `reg.example.com/drv@sha256:${"a".repeat(64)}` }, /can only be pushed to a tag/],
      ["the same image in and out", moduleWith({}), { unsignedImage: `reg.example.com/drv:${KERNEL}` }, /would replace its own input/],
      ["a key of another certificate", moduleWith({}), { signingKey: loadSigningKey(Buffer.from(selfSigned().keyPem), Buffer.from(issued().certPem)) }, /^keySecret k and certSecret c: /],
      ["a certificate that is not one", moduleWith({}), { signingKey: loadSigningKey(Buffer.from(issued().keyPem), Buffer.from("junk")) }, /^certSecret c: the certificate is not/],
      ["a key that is not one", moduleWith({}), { signingKey: loadSigningKey(Buffer.from("junk"), Buffer.from(issued().certPem)) }, /^keySecret k: the private key/],
    ];
    for (const [what, m, over, reason] of cases) {
      it(`says false for ${what}, without asking the registry`, async () => {
        const r = await run(m, over);
        assert.equal(r.verificationStatus, "false", r.reason);
        assert.match(r.reason, reason);
        assert.deepEqual([r.namespace, r.name, r.kernel], ["ns", "drv", KERNEL]);
      });
    }
  });

  describe("given a Module without a moduleLoader", () => {
    it("skips it as verified, as the image stage does", async () => {
      const r = await run(moduleWith(undefined, { moduleLoader: false }));
      assert.deepEqual([r.verificationStatus, r.skipped], ["true", true]);
    });
  });

  describe("given a kernel that is not a directory name", () => {
    it("says error", async () => {
      assert.equal((await run(moduleWith({}), { kernel: "../etc" })).verificationStatus, "error");
    });
  });
});
