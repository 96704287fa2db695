import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { corrupt } from "../image-check/errors.js";
import { IMAGE_REPO_SECRET_ADVICE } from "../image-check/image-verdict.js";
import { RegistryError, type RegistryErrorKind } from "../registry/index.js";
import * as sut from "./sign-verdict.js";

const IMAGE = "quay.io/org/drv:unsigned";
const err = (kind: RegistryErrorKind, tlsFailure?: "NotTls") => new RegistryError({ kind, message: `${IMAGE}: said ${kind}`, ...(tlsFailure && { tlsFailure }) });

describe("readFailureVerdict()", () => {
  describe("given each way reading the unsigned image fails", () => {
    const cases: [string, RegistryError | ReturnType<typeof corrupt>, string, RegExp][] = [
      ["a missing image", err("NotFound"), "false", /does not exist/],
      ["no credentials", err("Unauthorized"), "error", new RegExp(`is not accessible: .*\\(${IMAGE_REPO_SECRET_ADVICE}\\)$`)],
      ["credentials that may not pull", err("Forbidden"), "error", /is not accessible/],
      ["a registry down", err("Unreachable"), "error", /could not be read/],
      ["a plain-HTTP registry reached over TLS", err("Unreachable", "NotTls"), "error", /registryTLS\.insecure/],
      ["a corrupt layer", corrupt("gzip: bad header"), "error", /could not be read: Corrupt/],
    ];
    for (const [what, e, status, reason] of cases) {
      it(`says ${status} for ${what}`, () => {
        const v = sut.readFailureVerdict(IMAGE, e);
        assert.equal(v.verificationStatus, status);
        assert.match(v.reason, reason);
      });
    }
  });
});

describe("pushFailureVerdict()", () => {
  describe("given a refused push and a failed one", () => {
    it("says error, advising a Secret that can push for a refusal", () => {
      assert.deepEqual(sut.pushFailureVerdict("r/x:1", err("Forbidden")), { verificationStatus: "error", reason: `the signed image could not be pushed to r/x:1: ${IMAGE}: said Forbidden (${sut.PUSH_SECRET_ADVICE})` });
      assert.equal(sut.pushFailureVerdict("r/x:1", err("Server")).reason.includes(sut.PUSH_SECRET_ADVICE), false);
    });
  });
});

describe("missingFilesVerdict()", () => {
  describe("given a listing, an empty directory, and none", () => {
    it("names the files and what the directory holds", () => {
      assert.equal(sut.missingFilesVerdict(["/opt/a.ko"], IMAGE, "/opt/lib/modules/k/", { files: ["b.ko"], truncated: true }).reason, `/opt/a.ko is not in the unsigned image ${IMAGE} (as a file, after whiteouts and links); /opt/lib/modules/k/ holds b.ko, …`);
      assert.match(sut.missingFilesVerdict(["/opt/a.ko", "/opt/c.ko"], IMAGE, "/d/", { files: [], truncated: false }).reason, /c\.ko are not in .*; \/d\/ is empty$/);
      assert.match(sut.missingFilesVerdict(["/opt/a.ko"], IMAGE, "/d/", undefined).reason, /the image has no \/d\/ directory$/);
    });
  });
});

describe("signedVerdict()", () => {
  const base = { files: ["/opt/a.ko"], replaced: [], hash: "sha256" as const, signer: "CN=k", input: IMAGE, output: "r/x:1", digest: "sha256:d" };
  describe("given a push and no push", () => {
    it("says where the image went, or that it was not pushed and why", () => {
      assert.equal(sut.signedVerdict({ ...base, pushed: true }).reason, `signed /opt/a.ko of ${IMAGE} with sha256, signer CN=k; pushed to r/x:1 (sha256:d)`);
      assert.match(sut.signedVerdict({ ...base, pushed: false, replaced: ["/opt/a.ko"] }).reason, /\(replacing the signature \/opt\/a\.ko carried\); not pushed \(no --push: pushBuiltImage is false\); it would be r\/x:1 \(sha256:d\)$/);
    });
  });
});
