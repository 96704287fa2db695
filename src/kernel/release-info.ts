// Parsers for the two files that tell which kernel an OpenShift release runs: the release image's
// `release-manifests/image-references` (which names the driver-toolkit image) and the
// driver-toolkit image's `etc/driver-toolkit-release.json` (which names the kernels).

import { isObject } from "../util/is-object.js";

/** In the release image (its last layer); an ImageStream listing the payload's images. */
export const IMAGE_REFERENCES_PATH = "release-manifests/image-references";
/** In the driver-toolkit image. */
export const DRIVER_TOOLKIT_RELEASE_PATH = "etc/driver-toolkit-release.json";
/** The ImageStream tag naming the driver-toolkit image. */
export const DRIVER_TOOLKIT_TAG = "driver-toolkit";

export type DriverToolkitImageResult = { readonly ok: true; readonly image: string } | { readonly ok: false; readonly error: string };

export type ReleaseKernelResult =
  | { readonly ok: true; readonly kernel: string; /** `RHEL_VERSION`, when the file has it. */ readonly rhelVersion?: string }
  | { readonly ok: false; readonly error: string };

type JsonObject = Record<string, unknown>;

function parseObject(json: string, what: string): { ok: true; value: JsonObject } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(json.replace(/^\uFEFF/, ""));
  } catch (e) {
    return { ok: false, error: `${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!isObject(value)) return { ok: false, error: `${what} must be a JSON object, not ${Array.isArray(value) ? "an array" : JSON.stringify(value)}` };
  return { ok: true, value };
}

/** The `from.name` of the `driver-toolkit` tag of the release's image-references ImageStream. */
export function driverToolkitImageFromImageReferences(json: string): DriverToolkitImageResult {
  const what = IMAGE_REFERENCES_PATH;
  const parsed = parseObject(json, what);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  if (doc.kind !== undefined && doc.kind !== "ImageStream") {
    return { ok: false, error: `${what} must be an ImageStream, not kind ${JSON.stringify(doc.kind)}` };
  }
  const tags = isObject(doc.spec) ? doc.spec.tags : undefined;
  if (!Array.isArray(tags)) return { ok: false, error: `${what} has no spec.tags list: is the image a release image?` };
  const index = tags.findIndex((t) => isObject(t) && t.name === DRIVER_TOOLKIT_TAG);
  const release = isObject(doc.metadata) && typeof doc.metadata.name === "string" ? ` of release ${doc.metadata.name}` : "";
  if (index < 0) {
    return {
      ok: false,
      error: `${what}${release} has no "${DRIVER_TOOLKIT_TAG}" tag among its ${tags.length} tags: the release image does not name a driver-toolkit image`,
    };
  }
  const from = (tags[index] as JsonObject).from;
  const name = isObject(from) ? from.name : undefined;
  if (typeof name !== "string" || name.trim() === "") {
    return { ok: false, error: `${what}${release}: spec.tags[${index}] ("${DRIVER_TOOLKIT_TAG}") has no from.name naming its image` };
  }
  if (isObject(from) && from.kind !== undefined && from.kind !== "DockerImage") {
    return { ok: false, error: `${what}${release}: spec.tags[${index}].from.kind is ${JSON.stringify(from.kind)}, expected "DockerImage"` };
  }
  return { ok: true, image: name.trim() };
}

/**
 * The kernel the release runs, from the driver-toolkit's release file: `KERNEL_VERSION`, or with
 * `useRTKernel` `RT_KERNEL_VERSION` (e.g. `5.14.0-427.26.1.el9_4.x86_64+rt`, kept as written: KMM
 * matches mappings on the raw kernel). A missing or empty value is an error, and so is a value
 * that is not one word: the driver-toolkit build writes `rpm -q` output there, which on
 * architectures without a real-time kernel reads "package kernel-rt-core is not installed".
 */
export function kernelFromDriverToolkitRelease(json: string, useRTKernel: boolean): ReleaseKernelResult {
  const what = DRIVER_TOOLKIT_RELEASE_PATH;
  const parsed = parseObject(json, what);
  if (!parsed.ok) return parsed;
  const doc = parsed.value;
  const field = useRTKernel ? "RT_KERNEL_VERSION" : "KERNEL_VERSION";
  const value = doc[field];
  const rtHint = useRTKernel ? ": the release may have no real-time kernel (for this architecture); validate with useRTKernel: false instead" : "";
  if (value === undefined || value === null || value === "") {
    return { ok: false, error: `${what} has ${value === "" ? "an empty" : "no"} ${field}${rtHint}` };
  }
  if (typeof value !== "string") return { ok: false, error: `${what}: ${field} must be a string, not ${JSON.stringify(value)}` };
  const kernel = value.trim();
  if (kernel === "" || /\s/.test(kernel)) {
    return { ok: false, error: `${what}: ${field} ${JSON.stringify(value)} is not a kernel version${rtHint}` };
  }
  const rhel = doc.RHEL_VERSION;
  const rhelVersion = typeof rhel === "string" && rhel !== "" ? rhel : typeof rhel === "number" ? String(rhel) : undefined;
  return { ok: true, kernel, ...(rhelVersion !== undefined && { rhelVersion }) };
}
