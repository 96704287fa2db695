import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./image-reference.js";

const DIGEST = `sha256:${"22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863"}`;

function errorsOf(s: string): string[] {
  const r = sut.parseImageReference(s);
  return r.ok ? [] : r.errors;
}

describe("parseImageReference()", () => {
  describe("given valid references", () => {
    const cases: [string, Partial<sut.ImageReference>][] = [
      [`quay.io/openshift-release-dev/ocp-release@${DIGEST}`, { registry: "quay.io", repository: "openshift-release-dev/ocp-release", digest: DIGEST }],
      ["quay.io/openshift-release-dev/ocp-release:4.11.18-x86_64", { registry: "quay.io", tag: "4.11.18-x86_64" }],
      [`registry.example.com:5000/a/b/c:v1@${DIGEST}`, { registry: "registry.example.com:5000", repository: "a/b/c", tag: "v1", digest: DIGEST }],
      ["localhost/release:1", { registry: "localhost", repository: "release", registryExplicit: true }],
      ["127.0.0.1:5000/ocp/release:4.16", { registry: "127.0.0.1:5000", repository: "ocp/release" }],
      ["[::1]:5000/ocp:4", { registry: "[::1]:5000", repository: "ocp" }],
      ["busybox", { registry: "docker.io", repository: "library/busybox", registryExplicit: false }],
      ["myorg/release:4.15", { registry: "docker.io", repository: "myorg/release", registryExplicit: false }],
      ["a/b__c/d-e--f/g.h_i:tag", { repository: "a/b__c/d-e--f/g.h_i" }],
    ];
    for (const [input, want] of cases) {
      it(`accepts ${input}`, () => {
        const r = sut.parseImageReference(input);
        assert.ok(r.ok, `unexpected errors: ${r.ok ? "" : r.errors.join("; ")}`);
        for (const [k, v] of Object.entries(want)) assert.equal(r.ref[k as keyof sut.ImageReference], v, k);
      });
    }
  });

  describe("given invalid references", () => {
    const cases: [string, RegExp][] = [
      ["", /must not be empty/],
      ["quay.io/ocp release:4", /a space/],
      ["quay.io/ocp;rm -rf /:4", /shell metacharacters.*";"/],
      ["quay.io/$(whoami):4", /"\$".*"\("/],
      ["quay.io/ocp`id`", /"`"/],
      ["quay.io/OpenShift/release:4", /must be lowercase/],
      ["quay.io/ocp@sha256:abc", /64 lowercase hex/],
      [`quay.io/ocp@md5:${"a".repeat(32)}`, /"sha256:"/],
      ["quay.io/ocp:-bad", /tag "-bad"/],
      [`quay.io/ocp:${"a".repeat(129)}`, /tag/],
      ["quay.io//ocp:1", /path component.*""/],
      ["quay.io/ocp/:1", /path component/],
      ["quay.io/-ocp:1", /"-ocp"/],
      ["quay.io:99999/ocp:1", /port 99999/],
      ["quay-.io/ocp:1", /not a valid DNS name/],
      ["quay.io/", /must not be empty/],
      [`quay.io/${"a".repeat(256)}`, /more than 255/],
    ];
    for (const [input, want] of cases) {
      it(`rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`, () => {
        const errs = errorsOf(input);
        assert.ok(errs.some((e) => want.test(e)), `got: ${JSON.stringify(errs)}`);
      });
    }

    it("reports every problem at once, not only the first", () => {
      const errs = errorsOf("quay.io/UPPER:-tag@sha256:short");
      assert.equal(errs.length, 3, JSON.stringify(errs));
    });
  });
});

describe("formatImageReference()", () => {
  describe("given parsed references", () => {
    const cases: [string, string][] = [
      ["busybox", "docker.io/library/busybox"],
      ["busybox:1.36", "docker.io/library/busybox:1.36"],
      [`quay.io/a/b:t@${DIGEST}`, `quay.io/a/b:t@${DIGEST}`],
      ["127.0.0.1:5000/x@" + DIGEST, `127.0.0.1:5000/x@${DIGEST}`],
    ];
    for (const [input, want] of cases) {
      it(`formats ${input} as ${want}`, () => {
        const r = sut.parseImageReference(input);
        assert.ok(r.ok);
        assert.equal(sut.formatImageReference(r.ref), want);
      });
    }
  });
});
