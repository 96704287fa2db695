import { parseAllDocuments } from "yaml";
import { isObject } from "../util/is-object.js";

export type YamlDocument =
  | { readonly ok: true; readonly source: string; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly source: string; readonly message: string };


/** The objects of a multi-document YAML stream, each named `<sourceName> (document N)`; empty documents are dropped. */
export function readYamlObjects(text: string, sourceName: string): YamlDocument[] {
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: YamlDocument[] = [];
  list.forEach((doc, i) => {
    const source = `${sourceName} (document ${i + 1})`;
    if (doc.errors.length) return void out.push({ ok: false, source, message: doc.errors.map((e) => e.message).join("; ") });
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (err) {
      // e.g. an alias bomb: the yaml library refuses to expand it. One bad document spoils no other.
      return void out.push({ ok: false, source, message: err instanceof Error ? err.message : String(err) });
    }
    if (value === null || value === undefined) return;
    if (!isObject(value)) return void out.push({ ok: false, source, message: "document is not a Kubernetes object (a YAML mapping)" });
    out.push({ ok: true, source, value });
  });
  return out;
}

export const describeObject = (o: Record<string, unknown>) =>
  `${String(o["kind"] ?? "(no kind)")} ${JSON.stringify(String((o["metadata"] as { name?: unknown } | undefined)?.name ?? ""))}`;
