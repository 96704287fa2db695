import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { RegistryError, type RegistryErrorKind, type TlsFailure } from "../registry/index.js";
import { corrupt, linkLoop, unsupported } from "./errors.js";
import * as sut from "./image-verdict.js";

const query = { dirName: "/opt", kernel: "5.14.0-427.el9.x86_64", moduleName: "my-driver" };
const IMAGE = "quay.io/org/drv:5.14";
const registryError = (kind: RegistryErrorKind, tlsFailure?: TlsFailure) =>
  new RegistryError({ kind, message: `${IMAGE}: the registry said ${kind}`, ...(tlsFailure && { tlsFailure }) });

describe("imageVerdict()", () => {
  const cases: [string, sut.ImageLookup, sut.ImageVerdict][] = [
    [
      "the module found",
      { image: IMAGE, search: { found: true, path: "opt/lib/modules/5.14.0-427.el9.x86_64/extra/my_driver.ko", layerDigest: "sha256:l1" } },
      { verificationStatus: "true", reason: `${IMAGE} holds /opt/lib/modules/5.14.0-427.el9.x86_64/extra/my_driver.ko`, path: "/opt/lib/modules/5.14.0-427.el9.x86_64/extra/my_driver.ko" },
    ],
    [
      "the module missing, other kernels and modules present",
      { image: IMAGE, search: { found: false, kernelDirs: ["5.14.0-284.el9.x86_64", "5.14.0-427.el9.x86_64"], candidates: ["extra/other.ko"] } },
      {
        verificationStatus: "false",
        reason:
          "image does not contain my-driver.ko (or .ko.xz/.gz/.zst) under /opt/lib/modules/5.14.0-427.el9.x86_64/ on any layer; /opt/lib/modules/ holds 5.14.0-284.el9.x86_64, 5.14.0-427.el9.x86_64; modules for this kernel: extra/other.ko",
      },
    ],
    [
      "no lib/modules directory at all",
      { image: IMAGE, search: { found: false, kernelDirs: [] } },
      { verificationStatus: "false", reason: "image does not contain my-driver.ko (or .ko.xz/.gz/.zst) under /opt/lib/modules/5.14.0-427.el9.x86_64/ on any layer; the image has no /opt/lib/modules/ directory" },
    ],
    ["a missing image", { error: registryError("NotFound") }, { verificationStatus: "false", reason: `image does not exist: ${IMAGE}: the registry said NotFound` }],
    [
      "no credentials, or the wrong ones",
      { error: registryError("Unauthorized") },
      { verificationStatus: "error", reason: `image is not accessible: ${IMAGE}: the registry said Unauthorized (${sut.IMAGE_REPO_SECRET_ADVICE})` },
    ],
    [
      "credentials that may not pull",
      { error: registryError("Forbidden") },
      { verificationStatus: "error", reason: `image is not accessible: ${IMAGE}: the registry said Forbidden (${sut.IMAGE_REPO_SECRET_ADVICE})` },
    ],
    [
      "an untrusted certificate",
      { error: registryError("Unreachable", "UntrustedCertificate") },
      {
        verificationStatus: "error",
        reason: `image could not be checked: ${IMAGE}: the registry said Unreachable (the Module's registryTLS.insecureSkipTLSVerify skips verification for a registry without a trusted certificate)`,
      },
    ],
    [
      "a plain-HTTP registry reached over HTTPS",
      { error: registryError("Unreachable", "NotTls") },
      { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said Unreachable (the Module's registryTLS.insecure reaches a plain-HTTP registry)` },
    ],
    ["a registry down", { error: registryError("Unreachable") }, { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said Unreachable` }],
    ["a timeout", { error: registryError("Timeout") }, { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said Timeout` }],
    ["a 5xx", { error: registryError("Server") }, { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said Server` }],
    ["rate limiting", { error: registryError("TooManyRequests") }, { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said TooManyRequests` }],
    ["a corrupt manifest or blob", { error: registryError("Corrupt") }, { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said Corrupt` }],
    ["an unsupported manifest", { error: registryError("Unsupported") }, { verificationStatus: "error", reason: `image could not be checked: ${IMAGE}: the registry said Unsupported` }],
    [
      "a corrupt layer",
      { error: corrupt("gzip: incorrect header check").inLayer("sha256:l1") },
      { verificationStatus: "error", reason: "image could not be read: layer sha256:l1: Corrupt: gzip: incorrect header check" },
    ],
    ["a layer this Node cannot read", { error: unsupported("zstd needs Node >= 22.15") }, { verificationStatus: "error", reason: "image could not be read: Unsupported: zstd needs Node >= 22.15" }],
    [
      "a symlink loop",
      { error: linkLoop("opt/lib/modules") },
      { verificationStatus: "error", reason: "image could not be read: LinkLoop: opt/lib/modules: more than 40 symlinks or hardlinks to follow" },
    ],
  ];
  for (const [what, lookup, want] of cases) {
    describe(`given ${what}`, () => {
      it(`returns ${want.verificationStatus}`, () => assert.deepEqual(sut.imageVerdict(lookup, query), want));
    });
  }

  describe("given a dirName with trailing slashes", () => {
    it("names lib/modules/ below it once", () => {
      const v = sut.imageVerdict({ image: IMAGE, search: { found: false, kernelDirs: [] } }, { ...query, dirName: "/srv//" });
      assert.match(v.reason, / under \/srv\/lib\/modules\/5\.14\.0-427\.el9\.x86_64\/ .*no \/srv\/lib\/modules\/ directory$/);
    });
  });
});
