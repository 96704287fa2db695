import { stringify } from "yaml";
import { formatFieldError, formatInvalid, notSupported, type FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { PREFLIGHT_GVK } from "../admission/preflight-routes.js";
import { preflightDefaulter, preflightValidator } from "../admission/preflight-webhook.js";
import { validateModuleDocument } from "../admission/module-document.js";
import { GROUP, MODULE_KIND, PREFLIGHT_API_VERSION, PREFLIGHT_KIND, type PreflightValidationOCP } from "../api/index.js";
import { describeObject, readYamlObjects } from "./yaml-documents.js";

// `kmm-preflight validate`: the admission chain (defaulting, then validation) over YAML documents,
// without a cluster. Pure: text in, results out; main.ts does the I/O.

export type DocumentResult =
  | { readonly kind: "admitted"; readonly source: string; readonly object: unknown; readonly warnings: readonly string[] }
  | { readonly kind: "denied"; readonly source: string; readonly message: string; readonly errors: readonly string[]; readonly warnings: readonly string[] }
  | { readonly kind: "unparsable"; readonly source: string; readonly message: string }
  | { readonly kind: "passed-through"; readonly source: string; readonly object: unknown; readonly note: string };

function admit(raw: Record<string, unknown>, source: string): DocumentResult {
  const name = String((raw["metadata"] as { name?: unknown } | undefined)?.name ?? "");
  if (raw["apiVersion"] !== PREFLIGHT_API_VERSION) {
    const errors: FieldError[] = [notSupported(FieldPath.root("apiVersion"), raw["apiVersion"], [PREFLIGHT_API_VERSION])];
    return { kind: "denied", source, message: formatInvalid(`${PREFLIGHT_KIND}.${GROUP}`, name, errors), errors: errors.map(formatFieldError), warnings: [] };
  }
  const defaulted = preflightDefaulter(raw as unknown as PreflightValidationOCP);
  const verdict = preflightValidator().validateCreate(defaulted);
  if (verdict.errors.length) {
    return {
      kind: "denied",
      source,
      message: formatInvalid(`${PREFLIGHT_GVK.kind}.${PREFLIGHT_GVK.group}`, name, verdict.errors),
      errors: verdict.errors.map(formatFieldError),
      warnings: verdict.warnings,
    };
  }
  return { kind: "admitted", source, object: defaulted, warnings: verdict.warnings };
}

/** A Module is checked, never changed: Module policy has no defaulting. */
function admitModule(raw: Record<string, unknown>, source: string): DocumentResult {
  const { errors, warnings } = validateModuleDocument(raw);
  if (!errors.length) return { kind: "admitted", source, object: raw, warnings };
  const name = String((raw["metadata"] as { name?: unknown } | undefined)?.name ?? "");
  return { kind: "denied", source, message: formatInvalid(`${MODULE_KIND}.${GROUP}`, name, errors), errors: errors.map(formatFieldError), warnings };
}

/** Every document of a YAML stream, in order; `sourceName` names the file in messages. */
export function validateDocuments(text: string, sourceName: string): DocumentResult[] {
  return readYamlObjects(text, sourceName).map((doc): DocumentResult => {
    if (!doc.ok) return { kind: "unparsable", source: doc.source, message: doc.message };
    if (doc.value["kind"] === MODULE_KIND) return admitModule(doc.value, doc.source);
    if (doc.value["kind"] !== PREFLIGHT_KIND) {
      return { kind: "passed-through", source: doc.source, object: doc.value, note: `${describeObject(doc.value)} is not a ${PREFLIGHT_KIND}; passed through unchanged` };
    }
    return admit(doc.value, doc.source);
  });
}

export interface Rendered {
  readonly stdout: string;
  readonly stderr: string;
  /** 0: all admitted; 1: something denied or unreadable. */
  readonly exitCode: 0 | 1;
}

/** kubectl's conventions: objects as YAML on stdout, `Warning:` and errors on stderr. */
export function renderResults(results: readonly DocumentResult[]): Rendered {
  const out: string[] = [];
  const err: string[] = [];
  for (const r of results) {
    switch (r.kind) {
      case "admitted":
        out.push(stringify(r.object));
        for (const w of r.warnings) err.push(`Warning: ${r.source}: ${w}`);
        break;
      case "passed-through":
        out.push(stringify(r.object));
        err.push(`note: ${r.source}: ${r.note}`);
        break;
      case "denied":
        for (const w of r.warnings) err.push(`Warning: ${r.source}: ${w}`);
        err.push(`error: ${r.source}: ${r.message.split(" is invalid: ")[0]} is invalid:`, ...r.errors.map((e) => `* ${e}`));
        break;
      case "unparsable":
        err.push(`error: ${r.source}: ${r.message}`);
        break;
    }
  }
  const failed = results.some((r) => r.kind === "denied" || r.kind === "unparsable");
  return { stdout: out.join("---\n"), stderr: err.length ? `${err.join("\n")}\n` : "", exitCode: failed ? 1 : 0 };
}
