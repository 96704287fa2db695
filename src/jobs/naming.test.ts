import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Module } from "../api/index.js";
import { jobName } from "./job-name.js";
import { labelValue } from "./labels.js";
import { moduleSpecHash } from "./spec-hash.js";

const id = { preflightUid: "pf-uid", namespace: "drivers", module: "gpu", stage: "image" as const, specHash: "0123456789abcdef" };

describe("jobName()", () => {
  it("is stable for the same identity (golden)", () => {
    assert.equal(jobName(id), "preflight-image-gpu-63e2ab4a23");
  });

  it("differs when any part of the identity does", () => {
    const names = new Set([
      jobName(id),
      jobName({ ...id, preflightUid: "other" }),
      jobName({ ...id, namespace: "other" }),
      jobName({ ...id, module: "gpu2" }),
      jobName({ ...id, stage: "build" }),
      jobName({ ...id, specHash: "fedcba9876543210" }),
    ]);
    assert.equal(names.size, 6);
  });

  it("is a DNS-1123 label of at most 63 characters, whatever the Module's name", () => {
    for (const module of ["m".repeat(253), "a.b.c", "UPPER", "-x-", "1.2.3", "ü"]) {
      const n = jobName({ ...id, module });
      assert.ok(n.length <= 63, n);
      assert.match(n, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, n);
    }
  });
});

describe("labelValue()", () => {
  it("keeps a valid value as it is", () => {
    assert.equal(labelValue("my-module.v2_x"), "my-module.v2_x");
  });

  it("turns a long or invalid value into a valid one, distinct for distinct inputs", () => {
    const a = labelValue("a".repeat(100));
    const b = labelValue(`${"a".repeat(99)}b`);
    for (const v of [a, b, labelValue("-bad-"), labelValue("...")]) {
      assert.ok(v.length <= 63);
      assert.match(v, /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
    }
    assert.notEqual(a, b);
  });
});

describe("moduleSpecHash()", () => {
  const m = (over: Partial<Module["spec"]> = {}): Module => ({
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: "gpu", namespace: "drivers" },
    spec: { selector: { a: "b" }, moduleLoader: { container: { modprobe: { moduleName: "gpu" }, kernelMappings: [{ literal: "5", containerImage: "x:1" }] } }, ...over },
  });

  it("ignores what does not decide the verdict (selector) and key order", () => {
    const reordered = m();
    reordered.spec.moduleLoader!.container = { kernelMappings: [{ containerImage: "x:1", literal: "5" }], modprobe: { moduleName: "gpu" } };
    assert.equal(moduleSpecHash(m({ selector: { other: "x" } })), moduleSpecHash(m()));
    assert.equal(moduleSpecHash(reordered), moduleSpecHash(m()));
  });

  it("changes with the loader container and the pull secret", () => {
    const changed = m();
    changed.spec.moduleLoader!.container.kernelMappings[0]!.containerImage = "x:2";
    assert.notEqual(moduleSpecHash(changed), moduleSpecHash(m()));
    assert.notEqual(moduleSpecHash(m({ imageRepoSecret: { name: "s" } })), moduleSpecHash(m()));
    assert.match(moduleSpecHash(m()), /^[0-9a-f]{16}$/);
  });

  // Pinned: a new hash for the same spec would start every Module's validation again after an upgrade.
  it("hashes a spec as it always has", () => {
    const pinned = m({ imageRepoSecret: { name: "s" } });
    pinned.spec.moduleLoader!.container.kernelMappings[0]!.build = { buildArgs: [{ name: "a", value: "b" }, null as never], x: undefined } as never;
    assert.equal(moduleSpecHash(pinned), "0d666bcfc8179879");
  });

  // A CRD that keeps unknown fields lets a value nested 10000 deep (the API server's limit) through.
  it("hashes a spec holding a value nested 10000 deep, telling it from another", () => {
    const deep = (leaf: string) => {
      const d = m();
      (d.spec.moduleLoader!.container as unknown as Record<string, unknown>)["extra"] = JSON.parse(`${"[".repeat(10_000)}"${leaf}"${"]".repeat(10_000)}`);
      return d;
    };
    assert.notEqual(moduleSpecHash(deep("a")), moduleSpecHash(deep("b")));
  });
});
