import { createHash } from "node:crypto";
import type { Module } from "../api/index.js";

// Which Module changes start the validation again: the parts of the spec that decide what the stages
// check (the loader container: mappings, images, modprobe, build, sign, TLS; and the pull secret's
// name), not scheduling fields such as the selector or tolerations.

/** Canonical JSON: object keys sorted, so the same spec always hashes the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** Hashes by object: the caches hand out the same (never mutated) Module until it changes. */
const hashes = new WeakMap<Module, string>();

/** 16 hex characters of the SHA-256 of the relevant spec. */
export function moduleSpecHash(module: Module): string {
  const known = hashes.get(module);
  if (known !== undefined) return known;
  const hash = computeHash(module);
  if (typeof module === "object" && module !== null) hashes.set(module, hash);
  return hash;
}

function computeHash(module: Module): string {
  const spec = module.spec as Partial<Module["spec"]> | undefined;
  const relevant = { container: spec?.moduleLoader?.container ?? null, imageRepoSecret: spec?.imageRepoSecret?.name ?? null };
  return createHash("sha256").update(canonical(relevant)).digest("hex").slice(0, 16);
}
