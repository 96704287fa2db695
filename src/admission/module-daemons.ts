import { posix } from "node:path";
import { ALLOWED_HOST_PATH_PREFIXES, parseImageReference } from "../api/index.js";
import { isObject } from "../util/is-object.js";
import { isDns1123Subdomain } from "../validation/dns-name.js";
import { type FieldError, duplicate, forbidden, invalid, required } from "../validation/field-error.js";
import type { FieldPath } from "../validation/field-path.js";
import { validateBoolean, validateString } from "../validation/field-validators.js";
import { validatePullPolicy } from "./module-images.js";

// spec.devicePlugin and spec.dra: the DaemonSets KMM runs beside the module loader. Upstream HEAD lets
// their pods mount host paths only under a few directories, and runs one or the other, never both.

/** Upstream's isAllowedHostPath: the cleaned path is one of the prefixes or below one. */
export function isAllowedHostPath(path: string): boolean {
  const cleaned = posix.normalize(path).replace(/(.)\/+$/, "$1");
  return ALLOWED_HOST_PATH_PREFIXES.some((prefix) => cleaned === prefix || cleaned.startsWith(`${prefix}/`));
}

function validateHostPathVolumes(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [invalid(p, v, "must be a list of volumes")];
  return v.flatMap((vol, i) => {
    if (!isObject(vol)) return [invalid(p.index(i), vol, "must be a volume")];
    const hostPath = vol["hostPath"];
    if (hostPath === undefined || hostPath === null) return [];
    const path = isObject(hostPath) ? hostPath["path"] : undefined;
    const at = p.index(i).child("hostPath", "path");
    if (typeof path !== "string" || path === "") return [required(at, "the host directory or file to mount")];
    return isAllowedHostPath(path) ? [] : [invalid(at, path, `must be ${ALLOWED_HOST_PATH_PREFIXES.join(", ")} or below one of them`)];
  });
}

function validateDaemonContainer(v: unknown, p: FieldPath, needed: boolean): FieldError[] {
  if (v === undefined || v === null) return needed ? [required(p, "the container (its image) to run")] : [];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  const image = v["image"];
  const parsed = typeof image === "string" && image !== "" ? parseImageReference(image) : undefined;
  return [
    ...(image === undefined || image === null || image === "" ? [required(p.child("image"))] : validateString(image, p.child("image"))),
    ...(parsed && !parsed.ok ? [invalid(p.child("image"), image, `is not a valid image reference: ${parsed.errors.join("; ")}`)] : []),
    ...validatePullPolicy(v["imagePullPolicy"], p.child("imagePullPolicy")),
  ];
}

/** What the device plugin and the DRA driver share: containers, account and volumes. */
function validateDaemon(v: Record<string, unknown>, p: FieldPath): FieldError[] {
  return [
    ...validateDaemonContainer(v["container"], p.child("container"), true),
    ...validateDaemonContainer(v["initContainer"], p.child("initContainer"), false),
    ...validateString(v["serviceAccountName"], p.child("serviceAccountName")),
    ...validateHostPathVolumes(v["volumes"], p.child("volumes")),
    ...validateBoolean(v["automountServiceAccountToken"], p.child("automountServiceAccountToken")),
  ];
}

export function validateDevicePlugin(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  return isObject(v) ? validateDaemon(v, p) : [invalid(p, v, "must be an object")];
}

function validateDeviceClasses(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [invalid(p, v, "must be a list of DeviceClasses")];
  const seen = new Set<string>();
  return v.flatMap((dc, i) => {
    const at = p.index(i).child("name");
    const name = isObject(dc) ? dc["name"] : undefined;
    if (!isObject(dc)) return [invalid(p.index(i), dc, "must be an object with a name")];
    if (name === undefined || name === null || name === "") return [required(at, "the name of the cluster-scoped DeviceClass")];
    if (typeof name !== "string") return [invalid(at, name, "must be a string")];
    if (seen.has(name)) return [duplicate(at, name)];
    seen.add(name);
    return isDns1123Subdomain(name).map((m) => invalid(at, name, m));
  });
}

/**
 * spec.dra, and that it is not set together with spec.devicePlugin. Upstream also requires a minimum
 * Kubernetes version for DRA; this webhook does not know the cluster's version (the API server refuses
 * the DeviceClasses on a cluster without DRA anyway).
 */
export function validateDra(v: unknown, devicePlugin: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null) return [];
  if (!isObject(v)) return [invalid(p, v, "must be an object")];
  const driver = v["driverName"];
  return [
    ...(devicePlugin !== undefined && devicePlugin !== null ? [forbidden(p, "may not be set together with spec.devicePlugin: a Module runs a device plugin or a DRA driver")] : []),
    ...(driver === undefined || driver === null || driver === ""
      ? [required(p.child("driverName"), "the name the DRA driver registers with the kubelet")]
      : typeof driver === "string"
        ? isDns1123Subdomain(driver).map((m) => invalid(p.child("driverName"), driver, m))
        : [invalid(p.child("driverName"), driver, "must be a string")]),
    ...validateDeviceClasses(v["deviceClasses"], p.child("deviceClasses")),
    ...validateDaemon(v, p),
  ];
}
