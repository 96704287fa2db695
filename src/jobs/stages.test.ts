import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./stages.js";

describe("depmodWarning()", () => {
  describe("given a depmod with the kernel version (the seed's advice), or none at all", () => {
    for (const dockerfile of ["FROM x\nRUN depmod -b /opt ${KERNEL_VERSION}\n", "RUN depmod -b /opt $KERNEL_FULL_VERSION", "RUN make && \\\n  depmod -b /opt 5.14.0-427.el9.x86_64", "FROM x\nCOPY a.ko /opt/\n"]) {
      it(`says nothing for ${JSON.stringify(dockerfile.slice(0, 40))}`, () => assert.equal(sut.depmodWarning(dockerfile), undefined));
    }
  });
  describe("given a depmod without a version", () => {
    for (const dockerfile of ["RUN depmod -a", "run depmod -b /opt", "RUN make && \\\n  depmod"]) {
      it(`warns for ${JSON.stringify(dockerfile)}, saying what to write`, () => assert.match(sut.depmodWarning(dockerfile) ?? "", /without a kernel version .* RUN depmod -b \/opt \$\{KERNEL_VERSION\}/));
    }
  });
});

describe("walkStages()", () => {
  const finished = (verdict: "true" | "false" | "error", reason: string = verdict) => ({ kind: "job" as const, job: {} as never, outcome: { state: "finished" as const, verdict, reason, finishedAt: "2026-12-01T10:00:00Z" } });
  it("hands a failed image stage to the build, and a built image to the sign stage", () => {
    const r = sut.walkStages(["image", "build", "sign"], (s) => (s === "image" ? finished("false", "no image") : s === "build" ? finished("true", "built") : { kind: "absent" }));
    assert.deepEqual(r, { kind: "create", stage: "sign", carried: "the build stage: built" });
  });
  it("stops at an image stage error, and at a true image stage", () => {
    assert.equal(sut.walkStages(["image", "build"], () => finished("error")).stage, "image");
    assert.deepEqual(sut.walkStages(["image", "build"], (s) => (s === "image" ? finished("true") : { kind: "absent" })), { kind: "final", stage: "image", verdict: "true", reason: "true", finishedAt: "2026-12-01T10:00:00Z", counted: true });
  });
  it("reports a stage decided without a Job with the previous stage's finding", () => {
    const r = sut.walkStages(["image", "build"], (s) => (s === "image" ? finished("false", "no image") : { kind: "decided", verdict: "false", reason: "no ConfigMap" }));
    assert.deepEqual(r, { kind: "final", stage: "build", verdict: "false", reason: "no ConfigMap (the image stage: no image)", counted: false });
  });
});
