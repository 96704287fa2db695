import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./release-info.js";

const DTK = `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${"d".repeat(64)}`;

function imageReferences(tags: unknown[]): string {
  return JSON.stringify({ kind: "ImageStream", apiVersion: "image.openshift.io/v1", metadata: { name: "4.16.3", creationTimestamp: null }, spec: { lookupPolicy: { local: false }, tags } });
}

const tag = (name: string, image: string) => ({
  name,
  annotations: { "io.openshift.build.commit.id": "abc", "io.openshift.build.source-location": "https://github.com/openshift/driver-toolkit" },
  from: { kind: "DockerImage", name: image },
  generation: null,
  importPolicy: {},
  referencePolicy: { type: "" },
});

function errorOfImage(json: string): string {
  const r = sut.driverToolkitImageFromImageReferences(json);
  assert.ok(!r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

function errorOfKernel(json: string, rt: boolean): string {
  const r = sut.kernelFromDriverToolkitRelease(json, rt);
  assert.ok(!r.ok, `expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

describe("driverToolkitImageFromImageReferences()", () => {
  describe("given a release's image-references", () => {
    it("returns the driver-toolkit tag's image", () => {
      const json = imageReferences([tag("agent-installer-api-server", "quay.io/x@sha256:1"), tag("driver-toolkit", DTK), tag("etcd", "quay.io/e@sha256:2")]);
      assert.deepEqual(sut.driverToolkitImageFromImageReferences(json), { ok: true, image: DTK });
    });
    it("accepts a byte order mark and surrounding whitespace", () => {
      assert.deepEqual(sut.driverToolkitImageFromImageReferences(`\uFEFF\n${imageReferences([tag("driver-toolkit", DTK)])}\n`), { ok: true, image: DTK });
    });
  });

  describe("given no driver-toolkit tag", () => {
    it("says so, with the release name", () => {
      const e = errorOfImage(imageReferences([tag("etcd", "quay.io/e@sha256:2")]));
      assert.match(e, /release-manifests\/image-references of release 4\.16\.3 has no "driver-toolkit" tag/);
    });
  });

  describe("given a driver-toolkit tag without an image", () => {
    it("says which tag lacks from.name", () => {
      const e = errorOfImage(imageReferences([tag("etcd", "e"), { name: "driver-toolkit", from: { kind: "DockerImage" } }]));
      assert.match(e, /spec\.tags\[1\] \("driver-toolkit"\) has no from\.name/);
      assert.match(errorOfImage(imageReferences([{ name: "driver-toolkit" }])), /no from\.name/);
      assert.match(errorOfImage(imageReferences([{ name: "driver-toolkit", from: { kind: "DockerImage", name: " " } }])), /no from\.name/);
    });
  });

  describe("given a driver-toolkit tag pointing at something else than an image", () => {
    it("rejects it", () => {
      const e = errorOfImage(imageReferences([{ name: "driver-toolkit", from: { kind: "ImageStreamTag", name: "dtk:latest" } }]));
      assert.match(e, /from\.kind is "ImageStreamTag", expected "DockerImage"/);
    });
  });

  describe("given malformed content", () => {
    const cases: [string, RegExp][] = [
      ["", /not valid JSON/],
      ["{", /not valid JSON/],
      ["[]", /must be a JSON object, not an array/],
      ["null", /must be a JSON object, not null/],
      [JSON.stringify({ kind: "ConfigMap" }), /must be an ImageStream, not kind "ConfigMap"/],
      [JSON.stringify({ kind: "ImageStream", spec: {} }), /has no spec\.tags list/],
      [JSON.stringify({ kind: "ImageStream", spec: { tags: {} } }), /has no spec\.tags list/],
      [JSON.stringify({ kind: "ImageStream", spec: { tags: [null, 1, "driver-toolkit"] } }), /no "driver-toolkit" tag/],
    ];
    for (const [json, want] of cases) {
      it(`rejects ${JSON.stringify(json)}`, () => {
        const e = errorOfImage(json);
        assert.match(e, want);
        assert.match(e, /release-manifests\/image-references/);
      });
    }
  });
});

describe("kernelFromDriverToolkitRelease()", () => {
  const release = JSON.stringify({
    KERNEL_VERSION: "5.14.0-427.26.1.el9_4.x86_64",
    RT_KERNEL_VERSION: "5.14.0-427.26.1.el9_4.x86_64+rt",
    RHEL_VERSION: "9.4",
  });

  describe("given a driver-toolkit release file", () => {
    it("returns KERNEL_VERSION", () => {
      assert.deepEqual(sut.kernelFromDriverToolkitRelease(release, false), { ok: true, kernel: "5.14.0-427.26.1.el9_4.x86_64", rhelVersion: "9.4" });
    });
    it("returns RT_KERNEL_VERSION, as written, for the real-time kernel", () => {
      assert.deepEqual(sut.kernelFromDriverToolkitRelease(release, true), { ok: true, kernel: "5.14.0-427.26.1.el9_4.x86_64+rt", rhelVersion: "9.4" });
    });
    it("accepts the file as the driver-toolkit build writes it, spaces and all", () => {
      const written = '{ "KERNEL_VERSION": "5.14.0-427.26.1.el9_4.x86_64", "RT_KERNEL_VERSION": "5.14.0-427.26.1.el9_4.x86_64+rt", "RHEL_VERSION": "9.4" }\n';
      assert.equal((sut.kernelFromDriverToolkitRelease(written, false) as { kernel: string }).kernel, "5.14.0-427.26.1.el9_4.x86_64");
    });
    it("does without RHEL_VERSION", () => {
      assert.deepEqual(sut.kernelFromDriverToolkitRelease(JSON.stringify({ KERNEL_VERSION: "5.14.0-1.el9.x86_64" }), false), {
        ok: true,
        kernel: "5.14.0-1.el9.x86_64",
      });
    });
  });

  describe("given no real-time kernel", () => {
    it("says RT_KERNEL_VERSION is missing and the release may have no RT kernel", () => {
      const e = errorOfKernel(JSON.stringify({ KERNEL_VERSION: "5.14.0-1.el9.aarch64", RHEL_VERSION: "9.4" }), true);
      assert.match(e, /etc\/driver-toolkit-release\.json has no RT_KERNEL_VERSION/);
      assert.match(e, /may have no real-time kernel/);
    });
    it("says so for an empty value", () => {
      assert.match(errorOfKernel(JSON.stringify({ KERNEL_VERSION: "5.14.0", RT_KERNEL_VERSION: "" }), true), /an empty RT_KERNEL_VERSION.*real-time/);
    });
    it("recognises rpm's answer written in its place", () => {
      const e = errorOfKernel(JSON.stringify({ KERNEL_VERSION: "5.14.0", RT_KERNEL_VERSION: "package kernel-rt-core is not installed" }), true);
      assert.match(e, /RT_KERNEL_VERSION "package kernel-rt-core is not installed" is not a kernel version/);
    });
  });

  describe("given no KERNEL_VERSION", () => {
    it("names the field", () => {
      const e = errorOfKernel(JSON.stringify({ RT_KERNEL_VERSION: "5.14.0+rt" }), false);
      assert.match(e, /has no KERNEL_VERSION/);
      assert.doesNotMatch(e, /real-time/);
      assert.match(errorOfKernel(JSON.stringify({ KERNEL_VERSION: null }), false), /has no KERNEL_VERSION/);
    });
  });

  describe("given a KERNEL_VERSION that is not a string", () => {
    it("rejects it", () => {
      assert.match(errorOfKernel(JSON.stringify({ KERNEL_VERSION: 5.14 }), false), /KERNEL_VERSION must be a string, not 5\.14/);
    });
  });

  describe("given malformed content", () => {
    it("rejects it naming the file", () => {
      assert.match(errorOfKernel("KERNEL_VERSION=5.14.0", false), /etc\/driver-toolkit-release\.json is not valid JSON/);
      assert.match(errorOfKernel('"5.14.0"', false), /must be a JSON object/);
    });
  });
});
