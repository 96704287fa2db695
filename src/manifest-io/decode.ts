import { type Document, type Tags, isCollection, isScalar, parseAllDocuments, visit } from "yaml";
import { isObject } from "../util/is-object.js";
import { GO_YAML_SCALAR_TAGS } from "./go-yaml-scalars.js";

// Objects from a YAML or JSON stream, read the way `kubectl apply -f` reads them: a stream whose first
// character is `{` is a sequence of JSON objects, anything else YAML documents split on `---` lines
// and read as go-yaml v2 does (YAML 1.1 scalars). A List (what `kubectl get -o yaml` prints) stands for
// its items. Every problem is a message for one document; nothing here throws or prints.

/** The API server refuses a request body over 3 MiB, so no single object can be larger. */
export const MAX_OBJECT_BYTES = 3 * 1024 * 1024;
/** A source larger than this is refused unread: more than any set of manifests a person writes. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Unreadable input says what is wrong in a few lines, not in proportion to its size. */
const MAX_ERRORS_PER_DOCUMENT = 3;
const MAX_MESSAGE_CHARS = 300;
const MAX_UNREADABLE_PER_SOURCE = 10;
/**
 * Objects nested deeper are refused: no Kubernetes object of the kinds read here comes near it, the
 * YAML reader overflows its stack at about 800 levels, and writing an object back as YAML (validate
 * prints what it read) a few thousand down, though the API server reads JSON to 10000.
 */
export const MAX_DEPTH = 500;
/** Lists inside Lists are flattened, as kubectl does, this deep at most. */
const MAX_LIST_DEPTH = 8;

export type DecodedObject =
  | { readonly ok: true; readonly source: string; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly source: string; readonly message: string };

type Piece = { readonly source: string; readonly value: unknown } | { readonly source: string; readonly error: string };

export const MIB = 1024 * 1024;
const truncate = (s: string) => (s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS)}…` : s);
const isBlank = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";

const KEPT_TAGS = new Set(["tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"]);
const goYamlTags = (tags: Tags): Tags => [
  // Collections, !!str and << merge keys as the yaml package has them; scalars as go-yaml v2 reads them.
  ...tags.filter((t) => typeof t !== "string" && KEPT_TAGS.has(t.tag)),
  ...GO_YAML_SCALAR_TAGS,
];

/** The bytes as text to read as YAML or JSON (a leading BOM dropped), or why they are not text. */
function readText(bytes: Uint8Array): { text: string } | { notText: string } {
  const nul = bytes.indexOf(0);
  if (nul !== -1) return { notText: `not YAML or JSON: a NUL byte at offset ${nul} (binary input?)` };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { notText: "not YAML or JSON: the input is not UTF-8 text (binary input?)" };
  }
}

/** Where the JSON object or array starting at `start` ends (the index after it), or -1 when it does not. */
function jsonValueEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && --depth === 0) return i + 1;
  }
  return -1;
}

function* jsonPieces(text: string, sourceName: string): Generator<Piece> {
  let i = 0;
  for (let n = 1; ; n++) {
    while (isBlank(text[i])) i++;
    if (i >= text.length) return;
    const source = `${sourceName} (object ${n})`;
    if (text[i] !== "{" && text[i] !== "[") {
      yield { source, error: `unexpected ${JSON.stringify(text.slice(i, i + 20))} at offset ${i}: a JSON stream holds objects` };
      return;
    }
    const end = jsonValueEnd(text, i);
    if (end === -1) {
      yield { source, error: `the JSON object at offset ${i} does not end` };
      return;
    }
    if (end - i > MAX_OBJECT_BYTES) yield { source, error: `larger than ${MAX_OBJECT_BYTES / MIB} MiB, the most the API server accepts for one object` };
    else {
      try {
        yield { source, value: JSON.parse(text.slice(i, end)) as unknown };
      } catch (err) {
        yield { source, error: truncate(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`) };
      }
    }
    i = end;
  }
}

/** kubectl's YAMLReader: a line starting with `---` ends a document; only spaces or a comment may follow it. */
function* yamlChunks(text: string): Generator<{ text: string } | { error: string }> {
  let start = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    const nl = text.indexOf("\n", lineStart);
    const lineEnd = nl === -1 ? text.length : nl + 1;
    if (text.startsWith("---", lineStart)) {
      const rest = text.slice(lineStart + 3, lineEnd).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        yield { error: truncate(`invalid document separator ${JSON.stringify(text.slice(lineStart, lineEnd).trimEnd())}: only spaces or a comment may follow --- (kubectl refuses it too)`) };
        return;
      }
      yield { text: text.slice(start, lineStart) };
      start = lineEnd;
    }
    lineStart = lineEnd;
  }
  yield { text: text.slice(start) };
}

/** A path to a number JSON cannot hold (.inf, .nan), if the value has one. */
function nonFinite(v: unknown, path: string): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? undefined : path || "the document";
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const found = nonFinite(x, `${path}[${i}]`);
      if (found) return found;
    }
  } else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const found = nonFinite(x, path ? `${path}.${k}` : k);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether `v` nests lists and mappings more than `max` levels deep (the value itself is level 1); without recursion. */
function deeperThan(v: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[v, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [x, depth] = next;
    if (typeof x !== "object" || x === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(x)) pending.push([child, depth + 1]);
  }
  return false;
}

const TOO_DEEP = `nested more than ${MAX_DEPTH} levels deep, which no Kubernetes object needs: refused`;

/** A mapping key kubectl cannot turn into a JSON key (null, or a list or mapping), if the document has one. */
function unsupportedKey(doc: Document.Parsed): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (isCollection(key)) found = "a list or mapping as a mapping key";
      else if (key === null || (isScalar(key) && key.value === null)) found = "a null mapping key (~, null or nothing; quote it if it is a string)";
      return found ? visit.BREAK : undefined;
    },
  });
  return found && `${found}: kubectl refuses it too`;
}

function documentValue(doc: Document.Parsed): { value: unknown } | { error: string } {
  if (doc.errors.some((e) => e.code === "RESOURCE_EXHAUSTION" && e.message.startsWith("Maximum call stack"))) return { error: TOO_DEEP };
  if (doc.errors.length) {
    const more = doc.errors.length > MAX_ERRORS_PER_DOCUMENT ? ` (and ${doc.errors.length - MAX_ERRORS_PER_DOCUMENT} more)` : "";
    return { error: `${doc.errors.slice(0, MAX_ERRORS_PER_DOCUMENT).map((e) => truncate(e.message.split("\n")[0]!)).join("; ")}${more}` };
  }
  const key = unsupportedKey(doc);
  if (key) return { error: key };
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    const bad = nonFinite(value, "");
    return bad ? { error: `${bad}: .inf and .nan have no JSON form (quote the value if it is a string)` } : { value };
  } catch (err) {
    // A stack overflow is the reader's, on nesting far past MAX_DEPTH.
    if (err instanceof RangeError) return { error: TOO_DEEP };
    // e.g. an alias bomb: the yaml package refuses to expand it.
    return { error: truncate(err instanceof Error ? err.message : String(err)) };
  }
}

function* yamlPieces(text: string, sourceName: string): Generator<Piece> {
  let n = 0;
  for (const chunk of yamlChunks(text)) {
    if ("error" in chunk) {
      yield { source: `${sourceName} (document ${n + 1})`, error: chunk.error };
      return;
    }
    if (Buffer.byteLength(chunk.text) > MAX_OBJECT_BYTES) {
      yield { source: `${sourceName} (document ${++n})`, error: `larger than ${MAX_OBJECT_BYTES / MIB} MiB, the most the API server accepts for one object` };
      continue;
    }
    const parsed = parseAllDocuments(chunk.text, { version: "1.1", customTags: goYamlTags, prettyErrors: false });
    for (const doc of Array.isArray(parsed) ? parsed : []) {
      const r = documentValue(doc);
      if ("value" in r && (r.value === null || r.value === undefined)) continue; // empty or comments only
      const source = `${sourceName} (document ${++n})`;
      yield "error" in r ? { source, error: r.error } : { source, value: r.value };
    }
  }
}

/** A List's items (recursively, as kubectl flattens them), or the object itself. */
function* flatten(value: unknown, source: string, depth = 0): Generator<DecodedObject> {
  if (!isObject(value)) return yield { ok: false, source, message: "not a Kubernetes object (a YAML mapping or JSON object)" };
  if ("items" in value) {
    const items = value["items"];
    if (!Array.isArray(items)) return yield { ok: false, source, message: "items: a List's items must be a list" };
    if (depth >= MAX_LIST_DEPTH) return yield { ok: false, source, message: `Lists nested more than ${MAX_LIST_DEPTH} deep` };
    for (const [i, item] of items.entries()) yield* flatten(item, `${source} items[${i}]`, depth + 1);
    return;
  }
  if (deeperThan(value, MAX_DEPTH)) return yield { ok: false, source, message: TOO_DEEP };
  const missing = (["apiVersion", "kind"] as const).filter((k) => typeof value[k] !== "string" || value[k] === "");
  if (missing.length) return yield { ok: false, source, message: `not a Kubernetes object: ${missing.map((k) => `${k} not set`).join(", ")} (kubectl refuses it too)` };
  yield { ok: true, source, value };
}

/** The objects of one source (a file or standard input), each named `<sourceName> (document N)` or `(object N)`. */
export function decodeObjects(input: Uint8Array | string, sourceName: string): DecodedObject[] {
  const bytes = typeof input === "string" ? Buffer.from(input) : input;
  if (bytes.length > MAX_INPUT_BYTES) return [{ ok: false, source: sourceName, message: `larger than ${MAX_INPUT_BYTES / MIB} MiB: refused unread` }];
  const read = readText(bytes);
  if ("notText" in read) return [{ ok: false, source: sourceName, message: read.notText }];
  const { text } = read;
  let first = 0;
  while (isBlank(text[first])) first++;
  const pieces = text[first] === "{" ? jsonPieces(text, sourceName) : yamlPieces(text, sourceName);
  const out: DecodedObject[] = [];
  let unreadable = 0;
  for (const piece of pieces) {
    const decoded = "error" in piece ? [{ ok: false as const, source: piece.source, message: piece.error }] : flatten(piece.value, piece.source);
    for (const d of decoded) {
      if (!d.ok && ++unreadable > MAX_UNREADABLE_PER_SOURCE) {
        out.push({ ok: false, source: sourceName, message: `more than ${MAX_UNREADABLE_PER_SOURCE} documents could not be read; the rest of this input is not read` });
        return out;
      }
      out.push(d);
    }
  }
  if (out.length === 0) out.push({ ok: false, source: sourceName, message: "no objects: the input is empty or holds only comments" });
  return out;
}

/** `Kind "name"`, for messages about an object. */
export const describeObject = (o: Record<string, unknown>) =>
  `${String(o["kind"] ?? "(no kind)")} ${JSON.stringify(String((o["metadata"] as { name?: unknown } | undefined)?.name ?? ""))}`;
