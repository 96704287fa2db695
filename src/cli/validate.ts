import { formatFieldError, notSupported, type FieldError } from "../validation/field-error.js";
import { FieldPath } from "../validation/field-path.js";
import { preflightDefaulter, preflightValidator } from "../admission/preflight-webhook.js";
import { validateModuleDocument } from "../admission/module-document.js";
import { preflightCrd } from "../api/crd/preflight-crd.js";
import { GROUP, MODULE_KIND, PREFLIGHT_API_VERSION, PREFLIGHT_KIND, PREFLIGHT_VERSION, type PreflightValidationOCP } from "../api/index.js";
import { formatUnknownField, unknownFields } from "../crd-schema/unknown-fields.js";
import { MAX_INPUT_BYTES, MAX_OBJECT_BYTES, MIB, decodeObjects, describeObject } from "../manifest-io/decode.js";
import { encodeYaml } from "../manifest-io/encode.js";
import { escapeForTerminal } from "../util/terminal-text.js";

// `kmm-preflight validate`: what the cluster does to a PreflightValidationOCP, without a cluster: the
// API server's strict field validation, then the webhooks (defaulting, then validation), over objects
// read as kubectl reads them. Pure: bytes in, results out; main.ts does the I/O.

export const VALIDATE_USAGE = `Usage: kmm-preflight validate -f <file>|- [-f <file>|-]...

Defaults and validates PreflightValidationOCP objects, and checks Modules against the Module policy,
without a cluster, as the cluster would; prints the objects, defaulted, as YAML that kubectl reads back
unchanged. Objects of other kinds pass through.

  --filename, -f <file>|-       YAML or JSON to read (- is standard input); may repeat

Input is read as kubectl reads it: JSON objects (one after another) or YAML documents separated by ---,
with YAML 1.1 scalars (yes, off are booleans); a List stands for its items. Refused: an input over
${MAX_INPUT_BYTES / MIB} MiB, an object over ${MAX_OBJECT_BYTES / MIB} MiB (the API server's limit), an object without apiVersion or kind,
an input with no object, and fields a PreflightValidationOCP does not have (strict field validation).

Exit code: 0 every object admitted, 1 an object denied or unreadable, 2 usage or I/O error.`;

export type DocumentResult =
  | { readonly kind: "admitted"; readonly source: string; readonly object: unknown; readonly warnings: readonly string[] }
  /** `headline` heads the list of `errors`, in the words of whoever refuses the object in a cluster. */
  | { readonly kind: "denied"; readonly source: string; readonly headline: string; readonly errors: readonly string[]; readonly warnings: readonly string[] }
  | { readonly kind: "unreadable"; readonly source: string; readonly message: string }
  | { readonly kind: "passed-through"; readonly source: string; readonly object: unknown; readonly note: string };

const SCHEMA = preflightCrd.spec.versions.find((v) => v.name === PREFLIGHT_VERSION)!.schema.openAPIV3Schema;

/** The API server's heading for a list of field errors. */
const invalid = (name: string, kind = PREFLIGHT_KIND) => `${kind}.${GROUP} ${JSON.stringify(name)} is invalid:`;

function admit(raw: Record<string, unknown>, source: string): DocumentResult {
  const name = String((raw["metadata"] as { name?: unknown } | undefined)?.name ?? "");
  if (raw["apiVersion"] !== PREFLIGHT_API_VERSION) {
    const errors: FieldError[] = [notSupported(FieldPath.root("apiVersion"), raw["apiVersion"], [PREFLIGHT_API_VERSION])];
    return { kind: "denied", source, headline: invalid(name), errors: errors.map(formatFieldError), warnings: [] };
  }
  // The API server decodes before admission: with an unknown field, no webhook ever sees the object.
  const unknown = unknownFields(raw, SCHEMA);
  if (unknown.length) {
    const headline = `${PREFLIGHT_KIND} in version "${PREFLIGHT_VERSION}" cannot be handled as a ${PREFLIGHT_KIND}: strict decoding error:`;
    return { kind: "denied", source, headline, errors: unknown.map(formatUnknownField), warnings: [] };
  }
  const defaulted = preflightDefaulter(raw as unknown as PreflightValidationOCP);
  const verdict = preflightValidator().validateCreate(defaulted);
  if (verdict.errors.length) {
    return {
      kind: "denied",
      source,
      headline: invalid(name),
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
  return { kind: "denied", source, headline: invalid(name, MODULE_KIND), errors: errors.map(formatFieldError), warnings };
}

/** Every object of one source, in order; `sourceName` names the file in messages. */
export function validateDocuments(input: Uint8Array | string, sourceName: string): DocumentResult[] {
  return decodeObjects(input, sourceName).map((doc): DocumentResult => {
    if (!doc.ok) return { kind: "unreadable", source: doc.source, message: doc.message };
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
        out.push(encodeYaml(r.object));
        for (const w of r.warnings) err.push(`Warning: ${r.source}: ${w}`);
        break;
      case "passed-through":
        out.push(encodeYaml(r.object));
        err.push(`note: ${r.source}: ${r.note}`);
        break;
      case "denied":
        for (const w of r.warnings) err.push(`Warning: ${r.source}: ${w}`);
        err.push(`error: ${r.source}: ${r.headline}`, ...r.errors.map((e) => `* ${e}`));
        break;
      case "unreadable":
        // Unreadable input may hold anything; a terminal must not act on it.
        err.push(`error: ${escapeForTerminal(r.source)}: ${escapeForTerminal(r.message)}`);
        break;
    }
  }
  const failed = results.some((r) => r.kind === "denied" || r.kind === "unreadable");
  return { stdout: out.join("---\n"), stderr: err.length ? `${err.join("\n")}\n` : "", exitCode: failed ? 1 : 0 };
}
