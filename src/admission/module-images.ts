import { type ObjectMeta, parseImageReference } from "../api/index.js";
import { kernelVariables } from "../kernel/kernel-version.js";
import { substituteVariables } from "../kernel/substitute.js";
import { isObject } from "../util/is-object.js";
import { type FieldError, invalid, notSupported } from "../validation/field-error.js";
import type { FieldPath } from "../validation/field-path.js";

// Image names of a Module are templates (`quay.io/org/${MOD_NAME}:${KERNEL_FULL_VERSION}`). Without a
// kernel at hand they are checked for one that stands for any: a template valid for it is valid for
// every kernel of the same shape; the preflight checks (module-preflight.ts) substitute real kernels.

/** The kernel templates are substituted for when no real kernel is known (an OpenShift 4.16 kernel). */
export const SAMPLE_KERNEL = "5.14.0-427.26.1.el9_4.x86_64";

const SAMPLE_KERNEL_VARIABLES = (() => {
  const kv = kernelVariables(SAMPLE_KERNEL);
  if (!kv.ok) throw new Error(kv.error);
  return kv.vars;
})();

export type Variables = Readonly<Record<string, string>>;

/** What `sign.unsignedImage` and `filesToSign` may use: the kernel variables only. */
export const KERNEL_ONLY_VARIABLES: Variables = SAMPLE_KERNEL_VARIABLES;

/**
 * What a `containerImage` may use: the kernel variables and `MOD_NAME`, `MOD_NAMESPACE` from the
 * object (a Module read offline may have no namespace yet: the one it will be applied to stands in).
 */
export function containerImageVariables(meta: unknown): Variables {
  const m: Partial<ObjectMeta> = isObject(meta) ? meta : {};
  const name = typeof m.name === "string" && m.name ? m.name : typeof m.generateName === "string" && m.generateName ? `${m.generateName}x1y2z` : "module";
  const namespace = typeof m.namespace === "string" && m.namespace ? m.namespace : "default";
  return { ...SAMPLE_KERNEL_VARIABLES, MOD_NAME: name, MOD_NAMESPACE: namespace };
}

/**
 * An image template that substitutes (with known variables only: upstream substitutes "" for an unknown
 * one and pulls a wrong image) into a valid reference naming a tag or a digest. Stricter than upstream,
 * which only looks for a `:` or `@` anywhere, so `registry:5000/img` passes there and pulls `latest`.
 */
export function validateImageTemplate(v: unknown, vars: Variables, p: FieldPath): FieldError[] {
  if (typeof v !== "string") return [invalid(p, v, "must be a string holding an image reference")];
  const substituted = substituteVariables(v, vars);
  if (!substituted.ok) return [invalid(p, v, substituted.error)];
  const image = substituted.value;
  const subject = image === v ? "" : `gives ${JSON.stringify(image)} for kernel ${SAMPLE_KERNEL}, which `;
  const parsed = parseImageReference(image);
  if (!parsed.ok) return [invalid(p, v, `${subject}is not a valid image reference: ${parsed.errors.join("; ")}`)];
  if (parsed.ref.tag === undefined && parsed.ref.digest === undefined) {
    return [invalid(p, v, `${subject}names no tag or digest: add :<tag> or @sha256:<digest>, or every node pulls whatever :latest is that day`)];
  }
  return [];
}

export const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;

/** The pod's imagePullPolicy: the CRD takes any string; the DaemonSet KMM creates from it would not. */
export function validatePullPolicy(v: unknown, p: FieldPath): FieldError[] {
  if (v === undefined || v === null || v === "") return [];
  return (PULL_POLICIES as readonly unknown[]).includes(v) ? [] : [notSupported(p, v, PULL_POLICIES)];
}
