import { createHash } from "node:crypto";
import type { Module } from "../api/index.js";

// Which Module changes start the validation again: the parts of the spec that decide what the stages
// check (the loader container: mappings, images, modprobe, build, sign, TLS; and the pull secret's
// name), not scheduling fields such as the selector or tolerations.

/**
 * Canonical JSON: object keys sorted (undefined values left out), so the same spec always hashes the
 * same. Without recursion: a CRD that keeps unknown fields lets through values nested 10000 deep.
 */
function canonical(root: unknown): string {
  const out: string[] = [];
  // Text to write as is, or a value (boxed) to write canonically; the next to do is last.
  const todo: (string | { readonly v: unknown })[] = [{ v: root }];
  for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
    if (typeof next === "string") {
      out.push(next);
      continue;
    }
    const v = next.v;
    if (Array.isArray(v)) {
      todo.push("]");
      for (let i = v.length - 1; i >= 0; i--) todo.push({ v: v[i] }, i ? "," : "[");
      if (v.length === 0) todo.push("[");
    } else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o).sort().filter((k) => o[k] !== undefined);
      todo.push("}");
      for (let i = keys.length - 1; i >= 0; i--) todo.push({ v: o[keys[i]!] }, `${i ? "," : "{"}${JSON.stringify(keys[i])}:`);
      if (keys.length === 0) todo.push("{");
    } else out.push(JSON.stringify(v) ?? "null");
  }
  return out.join("");
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
