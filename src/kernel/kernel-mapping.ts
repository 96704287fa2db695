import { RE2JS } from "re2js";
import type { KernelMapping } from "../api/module.js";
import { invalid, type FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";

// Which kernelMappings entry applies to a kernel, the way KMM picks it.

/** Where a Module's kernel mappings sit; reasons and errors are reported under it. */
export const KERNEL_MAPPINGS_PATH = FieldPath.root("spec", "moduleLoader", "container", "kernelMappings");

export type KernelMappingSelection =
  | { readonly ok: true; readonly index: number; readonly mapping: KernelMapping }
  | {
      readonly ok: false;
      readonly reason: string;
      /** Set when a mapping is at fault: its regexp does not compile. */
      readonly error?: FieldError;
    };

type Compiled = { readonly ok: true; readonly re: RE2JS } | { readonly ok: false; readonly error: string };

/** Patterns compiled so far: every Module is matched against every PFVO's kernel on every pass. */
const compiledPatterns = new Map<string, Compiled>();
const MAX_COMPILED_PATTERNS = 1024;

/** Compiles with RE2 (Go's syntax and guarantees), once per pattern (least recently used forgotten first); never throws. */
function compileRE2(pattern: string): Compiled {
  const known = compiledPatterns.get(pattern);
  if (known) {
    compiledPatterns.delete(pattern);
    compiledPatterns.set(pattern, known);
    return known;
  }
  let compiled: Compiled;
  try {
    compiled = { ok: true, re: RE2JS.compile(pattern) };
  } catch (e) {
    // RE2JSSyntaxException reads "error parsing regexp: <what>: `<where>`", as Go's regexp does.
    compiled = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  compiledPatterns.set(pattern, compiled);
  if (compiledPatterns.size > MAX_COMPILED_PATTERNS) compiledPatterns.delete(compiledPatterns.keys().next().value!);
  return compiled;
}

const RE2_HELP = "use Go RE2 syntax: no lookahead, lookbehind or backreferences";

const regexpError = (pattern: string, fieldPath: FieldPath, error: string): FieldError =>
  invalid(fieldPath, pattern, `invalid RE2 regular expression: ${error}; ${RE2_HELP}`);

/** A `regexp` of a kernel mapping compiles as KMM compiles it (RE2), or one Invalid error at `p`. */
export function validateKernelRegexp(pattern: string, p: FieldPath): FieldError[] {
  const compiled = compileRE2(pattern);
  return compiled.ok ? [] : [regexpError(pattern, p, compiled.error)];
}

/**
 * The first mapping, in list order, that matches `kernel` (the raw kernel string, not the
 * normalised one):
 * - a non-empty `literal` matches by exact, case-sensitive equality, and then `regexp` is not
 *   consulted (upstream's webhook forbids setting both; its matcher would still try the regexp
 *   after a failed literal, a case only Modules that bypassed the webhook can reach);
 * - otherwise a non-empty `regexp` matches by unanchored RE2 search (`5.14` matches `5.14.0-...`);
 * - a mapping with neither is skipped: an empty regexp is not match-all.
 *
 * A regexp RE2 cannot compile stops the selection with a reason naming the mapping's field, as
 * upstream stops on it: skipping it could select a later mapping KMM would never reach.
 * Each pattern is compiled once (and remembered); mappings after the selected one are not compiled.
 */
export function selectKernelMapping(
  mappings: readonly KernelMapping[] | undefined,
  kernel: string,
  path: FieldPath = KERNEL_MAPPINGS_PATH,
): KernelMappingSelection {
  const list = mappings ?? [];
  for (let index = 0; index < list.length; index++) {
    const mapping = list[index];
    if (!mapping) continue;
    if (mapping.literal) {
      if (mapping.literal === kernel) return { ok: true, index, mapping };
      continue;
    }
    if (!mapping.regexp) continue;
    const compiled = compileRE2(mapping.regexp);
    if (!compiled.ok) {
      const field = path.index(index).child("regexp");
      return {
        ok: false,
        reason: `${field}: invalid RE2 regular expression ${JSON.stringify(mapping.regexp)}: ${compiled.error}; ${RE2_HELP}`,
        error: regexpError(mapping.regexp, field, compiled.error),
      };
    }
    if (compiled.re.matcher(kernel).find()) return { ok: true, index, mapping };
  }
  return { ok: false, reason: `failed to find mapping for kernel ${kernel}: kernel mapping not found` };
}
