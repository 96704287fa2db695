import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import * as sut from "./module-daemons.js";

const typesAndFields = (errs: readonly FieldError[]) => errs.map((e) => [e.type, e.field]);

describe("isAllowedHostPath()", () => {
  const cases: [string, boolean][] = [
    ["/dev", true],
    ["/dev/", true],
    ["/sys/class", true],
    ["/var/lib/kubelet/device-plugins", true],
    ["/opt/gpu", true],
    ["/run/udev", true],
    ["//dev/nvidia0", true],
    ["/etc", false],
    ["/", false],
    ["/device", false],
    ["/var/../etc", false],
    ["dev", false],
  ];
  for (const [path, want] of cases) it(`${want ? "allows" : "refuses"} ${path}`, () => assert.equal(sut.isAllowedHostPath(path), want));
});

describe("validateDevicePlugin()", () => {
  const P = FieldPath.root("spec", "devicePlugin");
  const image = { image: "quay.io/org/dp:1" };
  const cases: [string, unknown, [string, string][]][] = [
    ["a device plugin with volumes of other kinds", { container: image, volumes: [{ name: "c", configMap: { name: "x" } }, { name: "h", hostPath: { path: "/dev" } }] }, []],
    ["no container", {}, [["Required", `${P}.container`]]],
    ["an image that is no reference", { container: { image: "Quay.io/Org/DP" } }, [["Invalid", `${P}.container.image`]]],
    ["an init container without image", { container: image, initContainer: {} }, [["Required", `${P}.initContainer.image`]]],
    ["a hostPath under /etc", { container: image, volumes: [{ name: "h", hostPath: { path: "/etc/kubernetes" } }] }, [["Invalid", `${P}.volumes[0].hostPath.path`]]],
    ["a hostPath without path", { container: image, volumes: [{ name: "h", hostPath: {} }] }, [["Required", `${P}.volumes[0].hostPath.path`]]],
    ["a bad pull policy", { container: { ...image, imagePullPolicy: "always" } }, [["NotSupported", `${P}.container.imagePullPolicy`]]],
  ];
  for (const [what, v, want] of cases) {
    it(`${want.length ? "reports" : "accepts"} ${what}`, () => assert.deepEqual(typesAndFields(sut.validateDevicePlugin(v, P)), want));
  }
});

describe("validateDra()", () => {
  const P = FieldPath.root("spec", "dra");
  const ok = { container: { image: "quay.io/org/dra:1" }, driverName: "gpu.example.com" };
  const cases: [string, unknown, unknown, [string, string][]][] = [
    ["a DRA driver with DeviceClasses", { ...ok, deviceClasses: [{ name: "gpu.example.com" }, { name: "fpga.example.com" }] }, undefined, []],
    ["a driverName that is no DNS subdomain", { ...ok, driverName: "GPU_driver" }, undefined, [["Invalid", `${P}.driverName`]]],
    ["a DeviceClass without name", { ...ok, deviceClasses: [{}] }, undefined, [["Required", `${P}.deviceClasses[0].name`]]],
    ["a DeviceClass twice", { ...ok, deviceClasses: [{ name: "a" }, { name: "a" }] }, undefined, [["Duplicate", `${P}.deviceClasses[1].name`]]],
    ["a hostPath outside the allowed directories", { ...ok, volumes: [{ name: "h", hostPath: { path: "/home" } }] }, undefined, [["Invalid", `${P}.volumes[0].hostPath.path`]]],
    ["dra beside a device plugin", ok, { container: { image: "quay.io/org/dp:1" } }, [["Forbidden", `${P}`]]],
  ];
  for (const [what, v, devicePlugin, want] of cases) {
    it(`${want.length ? "reports" : "accepts"} ${what}`, () => assert.deepEqual(typesAndFields(sut.validateDra(v, devicePlugin, P)), want));
  }
});
