import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Build, Sign } from "../api/module.js";
import * as sut from "./merge-build-sign.js";

describe("mergeBuild()", () => {
  describe("given neither section", () => {
    it("returns undefined", () => {
      assert.equal(sut.mergeBuild(undefined, undefined), undefined);
    });
  });

  describe("given only one section", () => {
    it("takes the container's whole", () => {
      const c: Build = { dockerfileConfigMap: { name: "df" }, buildArgs: [{ name: "A", value: "1" }], baseImageRegistryTLS: { insecure: true } };
      assert.deepEqual(sut.mergeBuild(c, undefined), { ...c, secrets: [] });
    });
    it("takes the mapping's whole, its own baseImageRegistryTLS included", () => {
      const m: Build = { dockerfileConfigMap: { name: "df" }, secrets: [{ name: "s" }], baseImageRegistryTLS: { insecureSkipTLSVerify: true } };
      assert.deepEqual(sut.mergeBuild(undefined, m), { ...m, buildArgs: [] });
    });
  });

  describe("given both sections", () => {
    const container: Build = {
      dockerfileConfigMap: { name: "container-df" },
      buildArgs: [
        { name: "B", value: "container-b" },
        { name: "A", value: "container-a" },
        { name: "C", value: "container-c" },
      ],
      secrets: [{ name: "container-secret" }],
      baseImageRegistryTLS: { insecure: true },
    };

    it("uses the mapping's dockerfileConfigMap when set", () => {
      assert.deepEqual(sut.mergeBuild(container, { dockerfileConfigMap: { name: "mapping-df" } })?.dockerfileConfigMap, { name: "mapping-df" });
      assert.deepEqual(sut.mergeBuild(container, { secrets: [] })?.dockerfileConfigMap, { name: "container-df" });
    });

    it("overrides build args by name in place and appends the leftovers in sorted name order", () => {
      const m: Build = {
        buildArgs: [
          { name: "Z", value: "mapping-z" },
          { name: "A", value: "mapping-a" },
          { name: "M", value: "mapping-m" },
          { name: "D", value: "mapping-d" },
        ],
      };
      assert.deepEqual(sut.mergeBuild(container, m)?.buildArgs, [
        { name: "B", value: "container-b" },
        { name: "A", value: "mapping-a" },
        { name: "C", value: "container-c" },
        { name: "D", value: "mapping-d" },
        { name: "M", value: "mapping-m" },
        { name: "Z", value: "mapping-z" },
      ]);
    });

    it("appends the mapping's secrets to the container's", () => {
      assert.deepEqual(sut.mergeBuild(container, { secrets: [{ name: "mapping-secret" }, { name: "container-secret" }] })?.secrets, [
        { name: "container-secret" },
        { name: "mapping-secret" },
        { name: "container-secret" },
      ]);
    });

    it("keeps the container's baseImageRegistryTLS", () => {
      assert.deepEqual(sut.mergeBuild(container, { baseImageRegistryTLS: { insecureSkipTLSVerify: true } })?.baseImageRegistryTLS, { insecure: true });
      assert.equal(sut.mergeBuild({}, { baseImageRegistryTLS: { insecure: true } })?.baseImageRegistryTLS, undefined);
    });

    it("modifies neither input and shares no objects with them", () => {
      const c = structuredClone(container);
      const m: Build = { buildArgs: [{ name: "A", value: "x" }], secrets: [{ name: "s" }] };
      const mCopy = structuredClone(m);
      const merged = sut.mergeBuild(c, m)!;
      assert.deepEqual(c, container);
      assert.deepEqual(m, mCopy);
      merged.buildArgs![0]!.value = "changed";
      merged.secrets![0]!.name = "changed";
      merged.baseImageRegistryTLS!.insecure = false;
      assert.deepEqual(c, container);
    });
  });
});

describe("mergeSign()", () => {
  describe("given neither section", () => {
    it("returns undefined", () => {
      assert.equal(sut.mergeSign(undefined, undefined), undefined);
    });
  });

  describe("given only one section", () => {
    it("takes it whole", () => {
      const s: Sign = { unsignedImage: "u", keySecret: { name: "k" }, certSecret: { name: "c" }, unsignedImageRegistryTLS: { insecure: true } };
      assert.deepEqual(sut.mergeSign(s, undefined), { ...s, filesToSign: [] });
      assert.deepEqual(sut.mergeSign(undefined, s), { ...s, filesToSign: [] });
    });
  });

  describe("given both sections", () => {
    const container: Sign = {
      unsignedImage: "quay.io/org/unsigned:${KERNEL_FULL_VERSION}",
      unsignedImageRegistryTLS: { insecure: true },
      keySecret: { name: "container-key" },
      certSecret: { name: "container-cert" },
      filesToSign: ["/opt/lib/modules/${KERNEL_FULL_VERSION}/a.ko"],
    };

    it("keeps the container's values the mapping does not set", () => {
      assert.deepEqual(sut.mergeSign(container, {}), container);
      assert.deepEqual(sut.mergeSign(container, { unsignedImage: "" })?.unsignedImage, container.unsignedImage);
    });

    it("uses the mapping's unsignedImage, keySecret and certSecret when set", () => {
      const merged = sut.mergeSign(container, { unsignedImage: "m", keySecret: { name: "mk" }, certSecret: { name: "mc" } });
      assert.equal(merged?.unsignedImage, "m");
      assert.deepEqual(merged?.keySecret, { name: "mk" });
      assert.deepEqual(merged?.certSecret, { name: "mc" });
    });

    it("appends the mapping's filesToSign after the container's", () => {
      assert.deepEqual(sut.mergeSign(container, { filesToSign: ["/opt/b.ko", "/opt/c.ko"] })?.filesToSign, [
        "/opt/lib/modules/${KERNEL_FULL_VERSION}/a.ko",
        "/opt/b.ko",
        "/opt/c.ko",
      ]);
    });

    it("keeps the container's unsignedImageRegistryTLS", () => {
      assert.deepEqual(sut.mergeSign(container, { unsignedImageRegistryTLS: { insecureSkipTLSVerify: true } })?.unsignedImageRegistryTLS, {
        insecure: true,
      });
    });

    it("modifies neither input", () => {
      const c = structuredClone(container);
      const merged = sut.mergeSign(c, { filesToSign: ["/opt/b.ko"] })!;
      merged.filesToSign!.push("/opt/x.ko");
      merged.keySecret!.name = "changed";
      assert.deepEqual(c, container);
    });
  });
});
