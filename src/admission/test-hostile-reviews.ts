import { MODULE_API_VERSION, PREFLIGHT_API_VERSION } from "../api/index.js";
import { validModule } from "./test-modules.js";

// Seeded, deterministic hostile AdmissionReviews for the property tests (pure and over HTTPS): a
// valid review with values replaced, anywhere, by what a broken or hostile client might send.

/** A small deterministic PRNG (mulberry32): the same seed gives the same cases on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nested = (depth: number, leaf: unknown, list: boolean): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = list ? [v] : { a: v };
  return v;
};

/** Values of every JSON type, and the awkward ones of each. */
const HOSTILE: readonly ((rnd: () => number) => unknown)[] = [
  () => null,
  () => 0,
  () => -1,
  () => 1e308,
  () => 2 ** 53 + 1,
  () => true,
  () => false,
  () => "",
  () => " ",
  () => "x".repeat(100_000),
  () => "\u0000\ud800\u202e\u{1F600}",
  () => "${KERNEL_FULL_VERSION}",
  () => "Bad_Name!",
  () => "(",
  () => [],
  () => [null],
  () => [1, "a", {}],
  () => ({}),
  () => JSON.parse('{"__proto__": {"polluted": true}}') as unknown,
  () => ({ constructor: { prototype: { polluted: true } } }),
  () => ({ toString: "x", valueOf: 1, hasOwnProperty: "y" }),
  (rnd) => nested(500 + Math.floor(rnd() * 1500), "deep", rnd() < 0.5),
];

const KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "extra", ""];

type Path = (string | number)[];

function paths(v: unknown, at: Path, out: Path[]): Path[] {
  out.push(at);
  if (typeof v === "object" && v !== null && at.length < 10) for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

/** `doc` with `count` values replaced (or keys added) at random places; defineProperty so `__proto__` is an own key, as JSON.parse makes it. */
export function mutate<T>(doc: T, rnd: () => number, count: number): T {
  const pick = <U>(xs: readonly U[]): U => xs[Math.floor(rnd() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    const at = pick(paths(doc, [], []));
    if (at.length === 0) continue;
    let parent: unknown = doc;
    for (const k of at.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[k];
    if (typeof parent !== "object" || parent === null) continue;
    const key = rnd() < 0.15 && !Array.isArray(parent) ? pick(KEYS) : at.at(-1)!;
    Object.defineProperty(parent, key, { value: pick(HOSTILE)(rnd), enumerable: true, configurable: true, writable: true });
  }
  return doc;
}

const PREFLIGHT_GVK = { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP" };
const MODULE_GVK = { group: "kmm.sigs.x-k8s.io", version: "v1beta1", kind: "Module" };

function preflightObject(): Record<string, unknown> {
  return {
    apiVersion: PREFLIGHT_API_VERSION,
    kind: "PreflightValidationOCP",
    metadata: { name: "upgrade", resourceVersion: "7", labels: { team: "a" } },
    spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863", useRTKernel: false },
    status: { modules: [{ namespace: "drivers", name: "gpu", verificationStatus: "true", verificationStage: "image" }] },
  };
}

const moduleObject = (): Record<string, unknown> => ({ ...(validModule() as unknown as Record<string, unknown>), apiVersion: MODULE_API_VERSION });

/** A review for `kind` with 1-3 hostile values anywhere in it (the envelope, the request, the objects). */
export function hostileReview(rnd: () => number, kind: "PreflightValidationOCP" | "Module"): Record<string, unknown> {
  const operation = ["CREATE", "UPDATE", "DELETE", "CONNECT"][Math.floor(rnd() * 4)]!;
  const object = kind === "Module" ? moduleObject() : preflightObject();
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `uid-${Math.floor(rnd() * 1e9)}`,
      kind: { ...(kind === "Module" ? MODULE_GVK : PREFLIGHT_GVK) },
      resource: { group: "kmm.sigs.x-k8s.io", version: kind === "Module" ? "v1beta1" : "v1beta2", resource: kind === "Module" ? "modules" : "preflightvalidationsocp" },
      name: "upgrade",
      namespace: "drivers",
      operation,
      userInfo: { username: "admin", groups: ["system:masters"] },
      object: operation === "DELETE" ? null : object,
      oldObject: operation === "CREATE" ? null : kind === "Module" ? moduleObject() : preflightObject(),
      dryRun: rnd() < 0.5,
    },
  };
  // Mostly inside the objects, where the validators work; sometimes anywhere in the envelope.
  const objects = [review.request.object, review.request.oldObject].filter((o) => o !== null);
  const target = rnd() < 0.7 && objects.length ? objects[Math.floor(rnd() * objects.length)]! : review;
  mutate(target, rnd, 1 + Math.floor(rnd() * 3));
  return review;
}

/**
 * What is wrong with an answer, as the API server would decode it (admission/v1 and metav1.Status Go
 * types): every field of its type, a denial that names a field, a 400 that says what is wrong.
 */
export function answerProblems(httpStatus: number, body: unknown): string[] {
  const problems: string[] = [];
  const review = body as { apiVersion?: unknown; kind?: unknown; response?: Record<string, unknown> } | null;
  if (httpStatus !== 200 && httpStatus !== 400) problems.push(`HTTP ${httpStatus}`);
  if (review?.apiVersion !== "admission.k8s.io/v1" || review.kind !== "AdmissionReview") problems.push("not an admission.k8s.io/v1 AdmissionReview");
  const r = review?.response;
  if (!r) return [...problems, "no response"];
  if (typeof r["uid"] !== "string") problems.push("response.uid is not a string");
  if (typeof r["allowed"] !== "boolean") problems.push("response.allowed is not a boolean");
  const warnings = r["warnings"];
  if (warnings !== undefined && !(Array.isArray(warnings) && warnings.every((w) => typeof w === "string"))) problems.push("warnings are not strings");
  if (r["patch"] !== undefined) {
    try {
      if (!Array.isArray(JSON.parse(Buffer.from(String(r["patch"]), "base64").toString("utf8")))) problems.push("patch is not a JSON Patch");
    } catch {
      problems.push("patch is not base64 JSON");
    }
  }
  const status = r["status"] as { code?: unknown; message?: unknown; details?: Record<string, unknown> } | undefined;
  if (r["allowed"] === false) {
    if (!status || typeof status.message !== "string" || status.message === "") return [...problems, "a refusal without a message"];
    if (status.code === 500 || httpStatus === 500) problems.push(`internal error: ${status.message}`);
    if (status.code !== httpStatus && !(httpStatus === 200 && status.code === 422)) problems.push(`status.code ${String(status.code)} in an HTTP ${httpStatus}`);
    if (/\n\s+at /.test(status.message)) problems.push("a stack trace in the message");
    const d = status.details;
    if (d !== undefined) {
      for (const k of ["name", "group", "kind"]) if (d[k] !== undefined && typeof d[k] !== "string") problems.push(`status.details.${k} is not a string`);
      const causes = d["causes"];
      if (!Array.isArray(causes) || causes.length === 0) problems.push("a denial without causes");
      else for (const c of causes as Record<string, unknown>[]) if (typeof c["field"] !== "string" || c["field"] === "" || typeof c["message"] !== "string") problems.push("a cause without a field and message");
    }
  }
  return problems;
}
