import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./release-kernel.js";

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";

describe("describeKernelFailure()", () => {
  describe("given an error that starts with the release image (the registry's, the resolver's)", () => {
    it("names the release once", () => {
      assert.equal(
        sut.describeKernelFailure(RELEASE, false, `${RELEASE}: cannot resolve quay.io (getaddrinfo ENOTFOUND quay.io): check the registry name`),
        `cannot tell the kernel of ${RELEASE}: cannot resolve quay.io (getaddrinfo ENOTFOUND quay.io): check the registry name`,
      );
    });
  });

  describe("given an error about another image", () => {
    it("keeps it whole", () => {
      const why = `driver-toolkit image quay.io/x/dtk@sha256:1 of ${RELEASE}: no etc/driver-toolkit-release.json in the image`;
      assert.equal(sut.describeKernelFailure(RELEASE, false, why), `cannot tell the kernel of ${RELEASE}: ${why}`);
    });
  });

  describe("given the real-time kernel", () => {
    it("says so", () => {
      assert.equal(sut.describeKernelFailure(RELEASE, true, "not finished within --timeout 2s"), `cannot tell the kernel of ${RELEASE} (real-time): not finished within --timeout 2s`);
    });
  });
});
