// An in-memory Kubernetes API server for tests: plain HTTP on 127.0.0.1, spoken to by the real
// @kubernetes/client-node. It reproduces the API semantics our code depends on (resourceVersion,
// optimistic concurrency, status subresource, finalizers, watch with history and 410 Expired,
// label/field selectors, patch types, Status errors) and lets a test inject faults.
//
// Deliberate simplifications (see the report at the end of startKubeApiServer's doc comment):
// no schema validation or defaulting of spec, no managedFields / server-side apply, no admission
// beyond NamespaceLifecycle, garbage collection runs synchronously.
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import type { ObjectMeta } from "../../src/api/meta.js";

// ---------------------------------------------------------------------------------------------
// Public types

export interface ResourceDef {
  /** API group, "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Has a status subresource: main writes ignore .status, /status writes change only .status. */
  readonly hasStatus: boolean;
  /**
   * Served from a CustomResourceDefinition. Like the real server this makes PUT require
   * metadata.resourceVersion, rejects strategic merge patch with 415, requires apiVersion/kind in
   * request bodies and keeps apiVersion/kind on list items.
   * @default true unless `group` is a built-in group ("", "batch", "apps", "coordination.k8s.io", …)
   */
  readonly custom?: boolean;
  /**
   * DELETE answers with the deleted object rather than a Status (pods, namespaces, service accounts).
   * @default false
   */
  readonly returnsDeletedObject?: boolean;
  /**
   * What happens to dependents (objects whose ownerReferences point here) when DELETE names no
   * propagationPolicy. @default "Background" ("Orphan" for batch/v1 jobs, like the real server)
   */
  readonly defaultPropagation?: PropagationPolicy;
  /**
   * Field selectors besides metadata.name and metadata.namespace, as dotted paths into the object
   * (built-in resources only; the real server supports a per-kind list, e.g. `type` for events).
   */
  readonly fieldSelectors?: readonly string[];
}

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export type KubeObjectMeta = ObjectMeta & { deletionGracePeriodSeconds?: number; [key: string]: unknown };

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: KubeObjectMeta;
  [key: string]: unknown;
}

/** A resource named as kubectl would ("jobs.batch", "pods", "preflightvalidationsocp.kmm.sigs.x-k8s.io") or by apiVersion/kind. */
export type ResourceRef = string | { readonly apiVersion: string; readonly kind: string };

export interface RecordedRequest {
  readonly method: string;
  /** URL path without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly watch: boolean;
  readonly contentType?: string;
  /** Parsed JSON body, when there was one. */
  readonly body?: unknown;
}

export type RequestMatch =
  | { readonly method?: string; readonly path?: string | RegExp; readonly watch?: boolean }
  | ((r: RecordedRequest) => boolean);

export interface Faults {
  /** Every request waits `ms` before it is handled (0 turns it off). */
  delay(ms: number): void;
  /**
   * The next `count` requests that match (default: every request) are answered with a Status of
   * HTTP `code` (default 500). A failed watch gets the error instead of a stream, like a real server.
   */
  failNext(count: number, code?: number, opts?: { readonly match?: RequestMatch; readonly message?: string }): void;
  /** Accept requests but do not answer them until `clear()` (then they are served normally). */
  hang(): void;
  /** End every open watch stream: cleanly (end of body) by default, or by resetting the connection. */
  dropWatches(opts?: { readonly abrupt?: boolean }): void;
  /** Behave like a server that is down: reset every current and new connection until `clear()`. */
  refuseConnections(): void;
  /** Undo delay, failNext, hang and refuseConnections; hung requests are then served. */
  clear(): void;
}

export interface KubeApiServerOptions {
  /** Resources served besides (or, with `replaceDefaults`, instead of) DEFAULT_RESOURCES. */
  readonly resources?: readonly ResourceDef[];
  /** Serve only `resources`. @default false */
  readonly replaceDefaults?: boolean;
  /** Watch events kept for replay; a watch from an older resourceVersion gets 410 Expired. @default 1000 */
  readonly historyLimit?: number;
  /** Interval between BOOKMARK events on watches that allow them. @default 1000 */
  readonly bookmarkIntervalMs?: number;
  /** Reject writes into namespaces that do not exist (NamespaceLifecycle admission). @default false */
  readonly enforceNamespaces?: boolean;
  /** Clock for creationTimestamp/deletionTimestamp. @default () => new Date() */
  readonly now?: () => Date;
}

export interface KubeApiServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** A client-node KubeConfig pointing at this server, no auth, namespace "default". */
  kubeConfig(): KubeConfig;
  /** Serve one more resource type. */
  register(def: ResourceDef): void;
  /**
   * Store objects as a controller would, bypassing HTTP (no request recorded, no faults):
   * server-managed metadata is filled in, but a given status, uid or creationTimestamp is kept.
   * Throws if an object already exists.
   */
  seed(...objects: KubeObject[]): KubeObject[];
  /** A copy of one stored object. */
  get(ref: ResourceRef, name: string, namespace?: string): KubeObject | undefined;
  /** Copies of stored objects of a resource (in one namespace, or all), sorted by namespace/name. */
  objects(ref: ResourceRef, namespace?: string): KubeObject[];
  /** Server-side write (e.g. a Job controller setting status): `mutate` edits a copy, which is stored. */
  modify(ref: ResourceRef, name: string, namespace: string | undefined, mutate: (obj: KubeObject) => void): KubeObject;
  /** Server-side delete (finalizers honoured). Returns false when absent. */
  remove(ref: ResourceRef, name: string, namespace?: string, opts?: { readonly propagationPolicy?: PropagationPolicy }): boolean;
  /** The current (last written) resourceVersion. */
  resourceVersion(): string;
  /** Forget the watch history: any watch from an older resourceVersion gets 410 Expired. */
  compact(): void;
  /** Requests received so far (recorded before faults apply). */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  /** Number of watch streams currently open. */
  openWatches(): number;
  readonly faults: Faults;
  /** Ends every watch, resets every connection and stops listening. */
  close(): Promise<void>;
}

export const DEFAULT_RESOURCES: readonly ResourceDef[] = [
  { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP", plural: "preflightvalidationsocp", namespaced: false, hasStatus: true },
  { group: "kmm.sigs.x-k8s.io", version: "v1beta1", kind: "Module", plural: "modules", namespaced: true, hasStatus: true },
  { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true, hasStatus: true, defaultPropagation: "Orphan" },
  { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true, hasStatus: true, returnsDeletedObject: true },
  { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true, hasStatus: false },
  { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true, hasStatus: false },
  { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, hasStatus: true, returnsDeletedObject: true },
  { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true, hasStatus: false },
  {
    group: "", version: "v1", kind: "Event", plural: "events", namespaced: true, hasStatus: false,
    fieldSelectors: ["type", "reason", "source", "reportingComponent", "involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid", "involvedObject.apiVersion"],
  },
];

const BUILTIN_GROUPS = new Set([
  "", "apps", "batch", "coordination.k8s.io", "policy", "rbac.authorization.k8s.io", "networking.k8s.io",
  "storage.k8s.io", "autoscaling", "discovery.k8s.io", "events.k8s.io", "scheduling.k8s.io", "node.k8s.io",
  "certificates.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "authentication.k8s.io",
  "authorization.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
]);

const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const FIRST_RESOURCE_VERSION = 1000;

// ---------------------------------------------------------------------------------------------
// Internal model

interface Meta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { uid?: string; [k: string]: unknown }[];
  [k: string]: unknown;
}
type Obj = Record<string, unknown> & { apiVersion?: string; kind?: string; metadata: Meta };

interface Resource {
  readonly def: Required<ResourceDef>;
  readonly apiVersion: string;
  /** "jobs.batch", or "pods" for the core group. */
  readonly qualified: string;
  readonly objects: Map<string, Obj>;
}

type EventType = "ADDED" | "MODIFIED" | "DELETED";
interface HistoryEvent {
  readonly rv: number;
  readonly res: Resource;
  readonly type: EventType;
  readonly obj: Obj;
  /** The object before a MODIFIED event, for selector transitions. */
  readonly prev?: Obj;
}

interface Watcher {
  readonly res: Resource;
  readonly matches: (o: Obj) => boolean;
  send(type: string, obj: unknown): void;
  end(abrupt: boolean): void;
}

interface StatusCause { reason: string; message: string; field: string }

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason,
      ...(this.details ? { details: this.details } : {}), code: this.code,
    };
  }
}

const REASONS: Record<number, string> = {
  400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
  409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge", 415: "UnsupportedMediaType", 422: "Invalid",
  429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
};

function groupDetails(res: Resource, name: string, kind: string = res.def.plural): Record<string, unknown> {
  return { name, ...(res.def.group ? { group: res.def.group } : {}), kind };
}
const notFound = (res: Resource, name: string) =>
  new ApiError(404, "NotFound", `${res.qualified} "${name}" not found`, groupDetails(res, name));
const alreadyExists = (res: Resource, name: string) =>
  new ApiError(409, "AlreadyExists", `${res.qualified} "${name}" already exists`, groupDetails(res, name));
const conflict = (res: Resource, name: string, why: string) =>
  new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${res.qualified} "${name}": ${why}`, groupDetails(res, name));
const STALE = "the object has been modified; please apply your changes to the latest version and try again";
const badRequest = (message: string) => new ApiError(400, "BadRequest", message);
const resourceNotFound = () => new ApiError(404, "NotFound", "the server could not find the requested resource", {});
function invalid(res: Resource, name: string, causes: StatusCause[]): ApiError {
  const qualifiedKind = res.def.group ? `${res.def.kind}.${res.def.group}` : res.def.kind;
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`;
  return new ApiError(422, "Invalid", `${qualifiedKind} "${name}" is invalid: ${list}`, { ...groupDetails(res, name, res.def.kind), causes });
}
const required = (field: string, detail: string): StatusCause =>
  ({ reason: "FieldValueRequired", message: `Required value: ${detail}`, field });
const invalidValue = (field: string, value: unknown, detail: string): StatusCause =>
  ({ reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field });

// ---------------------------------------------------------------------------------------------
// Small pure helpers

const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const objKey = (ns: string | undefined, name: string) => `${ns ?? ""}/${name}`;
/** Byte order, as etcd keys sort. */
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function withoutKeys(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) r[k] = v;
  return r;
}

/** RFC 7386 JSON merge patch. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

class PatchError extends Error {}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). Throws PatchError. */
export function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError("json patch must be an array of operations");
  let root = clone(doc);
  const parse = (p: unknown): string[] => {
    if (typeof p !== "string" || (p !== "" && !p.startsWith("/"))) throw new PatchError(`invalid JSON pointer: ${String(p)}`);
    return p === "" ? [] : p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  };
  const resolve = (tokens: string[]): unknown => {
    let cur: unknown = root;
    for (const t of tokens) {
      if (Array.isArray(cur)) cur = /^\d+$/.test(t) ? cur[Number(t)] : undefined;
      else if (isObject(cur)) cur = Object.hasOwn(cur, t) ? cur[t] : undefined;
      else return undefined;
      if (cur === undefined) return undefined;
    }
    return cur;
  };
  const parentOf = (tokens: string[], path: string): { parent: unknown; last: string } => {
    const parent = resolve(tokens.slice(0, -1));
    if (parent === undefined) throw new PatchError(`doc is missing path: "${path}"`);
    return { parent, last: tokens[tokens.length - 1] ?? "" };
  };
  const add = (tokens: string[], path: string, value: unknown) => {
    if (tokens.length === 0) { root = value; return; }
    const { parent, last } = parentOf(tokens, path);
    if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : /^\d+$/.test(last) ? Number(last) : NaN;
      if (!(i >= 0 && i <= parent.length)) throw new PatchError(`index out of range: "${path}"`);
      parent.splice(i, 0, value);
    } else if (isObject(parent)) parent[last] = value;
    else throw new PatchError(`doc is missing path: "${path}"`);
  };
  const remove = (tokens: string[], path: string): unknown => {
    if (resolve(tokens) === undefined) throw new PatchError(`doc is missing path: "${path}"`);
    if (tokens.length === 0) { const old = root; root = undefined; return old; }
    const { parent, last } = parentOf(tokens, path);
    if (Array.isArray(parent)) return parent.splice(Number(last), 1)[0];
    const p = parent as Record<string, unknown>;
    const old = p[last];
    delete p[last];
    return old;
  };
  for (const op of ops) {
    if (!isObject(op) || typeof op["op"] !== "string") throw new PatchError("invalid operation");
    const path = op["path"];
    const tokens = parse(path);
    switch (op["op"]) {
      case "add": add(tokens, String(path), clone(op["value"])); break;
      case "remove": remove(tokens, String(path)); break;
      case "replace":
        remove(tokens, String(path));
        add(tokens, String(path), clone(op["value"]));
        break;
      case "move": {
        const from = op["from"];
        if (typeof path === "string" && typeof from === "string" && path.startsWith(`${from}/`)) throw new PatchError("cannot move a value into itself");
        const v = remove(parse(from), String(from));
        add(tokens, String(path), v);
        break;
      }
      case "copy": {
        const from = op["from"];
        const v = resolve(parse(from));
        if (v === undefined) throw new PatchError(`doc is missing path: "${String(from)}"`);
        add(tokens, String(path), clone(v));
        break;
      }
      case "test":
        if (!isDeepStrictEqual(resolve(tokens), op["value"])) throw new PatchError(`testing value ${String(path)} failed: test failed`);
        break;
      default:
        throw new PatchError(`unexpected kind: ${String(op["op"])}`);
    }
  }
  return root;
}

// Label selectors (k8s.io/apimachinery/pkg/labels syntax).
type Requirement = (labels: Record<string, string>) => boolean;
const KEY = String.raw`[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?`;

export function parseLabelSelector(s: string): (labels: Record<string, string> | undefined) => boolean {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) { parts.push(cur); cur = ""; } else cur += ch;
  }
  parts.push(cur);
  const reqs: Requirement[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (p === "") {
      if (parts.length === 1) continue;
      throw badRequest(`unable to parse requirement: empty requirement in "${s}"`);
    }
    let m: RegExpMatchArray | null;
    if ((m = p.match(new RegExp(`^!\\s*(${KEY})$`)))) {
      const k = m[1]!;
      reqs.push((l) => !(k in l));
    } else if ((m = p.match(new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`)))) {
      const [k, op, v] = [m[1]!, m[2]!, m[3] ?? ""];
      reqs.push(op === "!=" ? (l) => l[k] !== v : (l) => l[k] === v);
    } else if ((m = p.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`)))) {
      const k = m[1]!;
      const op = m[2]!;
      const values = m[3]!.split(",").map((x) => x.trim());
      if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) throw badRequest(`unable to parse requirement: invalid value in "${p}"`);
      reqs.push(op === "in" ? (l) => k in l && values.includes(l[k]!) : (l) => !(k in l) || !values.includes(l[k]!));
    } else if ((m = p.match(new RegExp(`^(${KEY})\\s*([<>])\\s*(-?\\d+)$`)))) {
      const k = m[1]!;
      const op = m[2]!;
      const n = Number(m[3]);
      reqs.push((l) => k in l && /^-?\d+$/.test(l[k]!) && (op === ">" ? Number(l[k]) > n : Number(l[k]) < n));
    } else if ((m = p.match(new RegExp(`^(${KEY})$`)))) {
      const k = m[1]!;
      reqs.push((l) => k in l);
    } else {
      throw badRequest(`unable to parse requirement: invalid label selector "${p}"`);
    }
  }
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

function parseFieldSelector(s: string, res: Resource): (o: Obj) => boolean {
  const reqs: ((o: Obj) => boolean)[] = [];
  for (const raw of s.split(",")) {
    const p = raw.trim();
    if (p === "") continue;
    const m = p.match(/^([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${s}'; can't understand '${p}'`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    let get: (o: Obj) => string;
    if (field === "metadata.name") get = (o) => o.metadata.name ?? "";
    else if (field === "metadata.namespace") get = (o) => o.metadata.namespace ?? "";
    else if (res.def.fieldSelectors.includes(field)) get = (o) => String(field.split(".").reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o) ?? "");
    else if (res.def.custom) throw badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    else throw badRequest(`field label not supported: ${field}`);
    reqs.push(op === "!=" ? (o) => get(o) !== value : (o) => get(o) === value);
  }
  return (o) => reqs.every((r) => r(o));
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function validateMeta(res: Resource, o: Obj): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = o.metadata.name ?? "";
  const label = res.def.plural === "namespaces";
  if (label ? name.length > 63 || !DNS_LABEL.test(name) : name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push(invalidValue("metadata.name", name, label
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"));
  }
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    const slash = k.lastIndexOf("/");
    const keyName = slash >= 0 ? k.slice(slash + 1) : k;
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    if (keyName.length > 63 || !LABEL_NAME.test(keyName) || (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))) {
      causes.push(invalidValue("metadata.labels", k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) {
      causes.push(invalidValue("metadata.labels", v, typeof v === "string" && v.length > 63
        ? "must be no more than 63 characters"
        : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
  }
  return causes;
}

const GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
function randomSuffix(): string {
  let s = "";
  for (let i = 0; i < 5; i++) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function fillDef(def: ResourceDef): Required<ResourceDef> {
  return {
    ...def,
    custom: def.custom ?? !BUILTIN_GROUPS.has(def.group),
    returnsDeletedObject: def.returnsDeletedObject ?? false,
    fieldSelectors: def.fieldSelectors ?? [],
    defaultPropagation: def.defaultPropagation ?? "Background",
  };
}

// ---------------------------------------------------------------------------------------------
// The server

/**
 * Starts the fake API server on 127.0.0.1:0.
 *
 * Semantics: one global resourceVersion counter bumped by every write; uid, creationTimestamp,
 * generation (bumped when anything but metadata — and status, with a status subresource — changes);
 * no-op writes keep the resourceVersion and send no event; GET/LIST (labelSelector, fieldSelector on
 * metadata.name/namespace, limit/continue, all-namespaces lists); POST (generateName, 409
 * AlreadyExists, 422 Invalid for a missing/invalid name or label, 403 in a terminating namespace);
 * PUT (409 Conflict on a stale resourceVersion, 422 when a custom resource PUT has none); PATCH
 * (merge, JSON, strategic-as-merge for built-ins, 415 for strategic on custom resources and for apply);
 * status subresource; DELETE (preconditions, finalizers → deletionTimestamp, propagationPolicy with
 * synchronous garbage collection of ownerReferences, namespace deletion removes its contents);
 * dryRun=All; WATCH (resourceVersion replay from history, synthetic ADDED for ""/"0", selector
 * transitions as ADDED/DELETED, bookmarks, timeoutSeconds, ERROR 410 Expired when too old);
 * discovery (/api, /apis, /version).
 */
export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const historyLimit = opts.historyLimit ?? 1000;
  const bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 1000;
  const now = opts.now ?? (() => new Date());

  const resources = new Map<string, Resource>(); // "group/version/plural"
  const byKind = new Map<string, Resource>(); // "apiVersion/kind"
  let rv = FIRST_RESOURCE_VERSION;
  let compactedRv = FIRST_RESOURCE_VERSION;
  let history: HistoryEvent[] = [];
  const watchers = new Set<Watcher>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  /** Deletion policy remembered for objects waiting on finalizers, by uid. */
  const pendingPolicy = new Map<string, PropagationPolicy>();

  // Fault state.
  let delayMs = 0;
  let failures: { count: number; code: number; match?: RequestMatch; message?: string }[] = [];
  let hanging = false;
  const hung = new Set<() => void>();
  let refusing = false;

  function register(def: ResourceDef): void {
    const d = fillDef(def);
    const apiVersion = d.group ? `${d.group}/${d.version}` : d.version;
    const res: Resource = { def: d, apiVersion, qualified: d.group ? `${d.plural}.${d.group}` : d.plural, objects: new Map() };
    resources.set(`${d.group}/${d.version}/${d.plural}`, res);
    byKind.set(`${apiVersion}/${d.kind}`, res);
  }

  function lookup(ref: ResourceRef): Resource {
    if (typeof ref !== "string") {
      const r = byKind.get(`${ref.apiVersion}/${ref.kind}`);
      if (!r) throw new Error(`kube-api-server: ${ref.apiVersion} ${ref.kind} is not registered`);
      return r;
    }
    const dot = ref.indexOf(".");
    const plural = dot < 0 ? ref : ref.slice(0, dot);
    const group = dot < 0 ? "" : ref.slice(dot + 1);
    for (const r of resources.values()) if (r.def.plural === plural && r.def.group === group) return r;
    throw new Error(`kube-api-server: resource ${ref} is not registered`);
  }

  // --- storage and events ---------------------------------------------------------------------

  function withTypeMeta(res: Resource, o: Obj): Obj {
    return { apiVersion: res.apiVersion, kind: res.def.kind, ...o };
  }

  function record(res: Resource, type: EventType, obj: Obj, prev?: Obj): void {
    const ev: HistoryEvent = { rv, res, type, obj: clone(obj), ...(prev ? { prev: clone(prev) } : {}) };
    history.push(ev);
    while (history.length > historyLimit) compactedRv = history.shift()!.rv;
    for (const w of [...watchers]) deliver(w, ev);
  }

  function deliver(w: Watcher, ev: HistoryEvent): void {
    if (w.res !== ev.res) return;
    const after = w.matches(ev.obj);
    const before = ev.prev ? w.matches(ev.prev) : false;
    let type: EventType | undefined;
    if (ev.type === "ADDED") type = after ? "ADDED" : undefined;
    else if (ev.type === "DELETED") type = after ? "DELETED" : undefined;
    else if (after && before) type = "MODIFIED";
    else if (after) type = "ADDED";
    else if (before) type = "DELETED";
    if (type) w.send(type, withTypeMeta(ev.res, ev.obj));
  }

  function namespaceObj(ns: string): Obj | undefined {
    return resources.get("/v1/namespaces")?.objects.get(objKey(undefined, ns));
  }

  function admitNamespace(res: Resource, ns: string | undefined): void {
    if (!res.def.namespaced || ns === undefined) return;
    const nsObj = namespaceObj(ns);
    if (!nsObj) {
      if (opts.enforceNamespaces) throw new ApiError(404, "NotFound", `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" });
      return;
    }
    if (nsObj.metadata.deletionTimestamp) {
      throw new ApiError(403, "Forbidden", `${res.qualified} "${""}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { name: ns, kind: "namespaces", causes: [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }] });
    }
  }

  /** Fills server-managed metadata and stores a new object. */
  function insert(res: Resource, o: Obj, keep: { status?: boolean; uid?: boolean; creationTimestamp?: boolean } = {}, dryRun = false): Obj {
    const stored = clone(o);
    stored.apiVersion = res.apiVersion;
    stored.kind = res.def.kind;
    const m = stored.metadata;
    if (!keep.uid || !m.uid) m.uid = randomUUID();
    if (!keep.creationTimestamp || !m.creationTimestamp) m.creationTimestamp = rfc3339(now());
    m.generation = 1;
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.managedFields;
    if (!res.def.namespaced) delete m.namespace;
    if (res.def.hasStatus && !keep.status) delete stored["status"];
    if (res.def.plural === "namespaces") stored["status"] = { phase: "Active", ...(isObject(stored["status"]) ? stored["status"] : {}) };
    if (dryRun) return stored;
    m.resourceVersion = String(++rv);
    res.objects.set(objKey(m.namespace, m.name!), stored);
    record(res, "ADDED", stored);
    return stored;
  }

  /** Stores `next` in place of `old`; a change-free write is a no-op. Handles finalizer-driven removal. */
  function replace(res: Resource, old: Obj, next: Obj, dryRun = false): Obj {
    const m = next.metadata;
    m.uid = old.metadata.uid;
    m.creationTimestamp = old.metadata.creationTimestamp;
    m.name = old.metadata.name;
    if (res.def.namespaced) m.namespace = old.metadata.namespace; else delete m.namespace;
    if (old.metadata.deletionTimestamp) {
      m.deletionTimestamp = old.metadata.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    } else {
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    delete m.managedFields;
    next.apiVersion = res.apiVersion;
    next.kind = res.def.kind;
    const ignored = res.def.hasStatus ? ["metadata", "status", "apiVersion", "kind"] : ["metadata", "apiVersion", "kind"];
    m.generation = (old.metadata.generation ?? 1) + (isDeepStrictEqual(withoutKeys(old, ignored), withoutKeys(next, ignored)) ? 0 : 1);
    if (!m.finalizers?.length) delete m.finalizers;
    m.resourceVersion = old.metadata.resourceVersion;
    if (isDeepStrictEqual(old, next)) return clone(old);
    if (dryRun) return next;
    m.resourceVersion = String(++rv);
    if (m.deletionTimestamp && !m.finalizers?.length) {
      erase(res, next, pendingPolicy.get(m.uid!) ?? "Background", true);
      return next;
    }
    res.objects.set(objKey(m.namespace, m.name!), next);
    record(res, "MODIFIED", next, old);
    return next;
  }

  /** Removes an object for good, then collects its dependents. `rvAssigned`: the caller already bumped rv. */
  function erase(res: Resource, o: Obj, policy: PropagationPolicy, rvAssigned = false): void {
    const m = o.metadata;
    if (!rvAssigned) m.resourceVersion = String(++rv);
    res.objects.delete(objKey(m.namespace, m.name!));
    pendingPolicy.delete(m.uid!);
    record(res, "DELETED", o);
    collectDependents(m.uid!, policy);
    if (res.def.plural === "namespaces") purgeNamespace(m.name!);
    if (m.namespace) finishNamespaceIfEmpty(m.namespace);
  }

  function allObjects(): [Resource, Obj][] {
    const out: [Resource, Obj][] = [];
    for (const r of resources.values()) for (const o of r.objects.values()) out.push([r, o]);
    return out;
  }

  function existsUid(uid: string): boolean {
    return allObjects().some(([, o]) => o.metadata.uid === uid);
  }

  function collectDependents(ownerUid: string, policy: PropagationPolicy): void {
    for (const [r, dep] of allObjects()) {
      const refs = dep.metadata.ownerReferences ?? [];
      if (!refs.some((ref) => ref.uid === ownerUid)) continue;
      const current = r.objects.get(objKey(dep.metadata.namespace, dep.metadata.name!));
      if (!current) continue;
      const others = refs.filter((ref) => ref.uid !== ownerUid);
      if (policy === "Orphan" || others.some((ref) => ref.uid !== undefined && existsUid(ref.uid))) {
        const next = clone(current);
        if (others.length) next.metadata.ownerReferences = others; else delete next.metadata.ownerReferences;
        replace(r, current, next);
      } else {
        deleteObject(r, current, "Background");
      }
    }
  }

  /** DELETE semantics without HTTP: finalizers postpone removal. Returns the object as it now is. */
  function deleteObject(res: Resource, o: Obj, policy: PropagationPolicy, dryRun = false): { obj: Obj; removed: boolean } {
    if (o.metadata.finalizers?.length) {
      if (o.metadata.deletionTimestamp) return { obj: clone(o), removed: false };
      const next = clone(o);
      next.metadata.deletionTimestamp = rfc3339(now());
      next.metadata.deletionGracePeriodSeconds = 0;
      if (dryRun) return { obj: next, removed: false };
      pendingPolicy.set(o.metadata.uid!, policy);
      next.metadata.resourceVersion = String(++rv);
      next.metadata.generation = (o.metadata.generation ?? 1) + 1;
      res.objects.set(objKey(o.metadata.namespace, o.metadata.name!), next);
      record(res, "MODIFIED", next, o);
      return { obj: clone(next), removed: false };
    }
    if (dryRun) return { obj: clone(o), removed: true };
    if (policy === "Foreground") collectDependents(o.metadata.uid!, "Foreground");
    const gone = clone(o);
    erase(res, gone, policy);
    return { obj: clone(gone), removed: true };
  }

  function purgeNamespace(ns: string): void {
    for (const [r, o] of allObjects()) if (r.def.namespaced && o.metadata.namespace === ns) deleteObject(r, o, "Background");
  }

  function finishNamespaceIfEmpty(ns: string): void {
    const nsRes = resources.get("/v1/namespaces");
    const nsObj = nsRes?.objects.get(objKey(undefined, ns));
    if (!nsRes || !nsObj?.metadata.deletionTimestamp) return;
    if (allObjects().some(([r, o]) => r.def.namespaced && o.metadata.namespace === ns)) return;
    if (nsObj.metadata.finalizers?.length) return;
    erase(nsRes, clone(nsObj), "Background");
  }

  function deleteNamespace(res: Resource, o: Obj, dryRun: boolean): { obj: Obj; removed: boolean } {
    const hasContent = allObjects().some(([r, x]) => r.def.namespaced && x.metadata.namespace === o.metadata.name);
    if (!hasContent || dryRun) return deleteObject(res, o, "Background", dryRun);
    if (!o.metadata.deletionTimestamp) {
      const next = clone(o);
      next.metadata.deletionTimestamp = rfc3339(now());
      next.metadata.deletionGracePeriodSeconds = 0;
      next["status"] = { ...(isObject(o["status"]) ? o["status"] : {}), phase: "Terminating" };
      next.metadata.resourceVersion = String(++rv);
      res.objects.set(objKey(undefined, o.metadata.name!), next);
      record(res, "MODIFIED", next, o);
      purgeNamespace(o.metadata.name!);
    }
    const current = res.objects.get(objKey(undefined, o.metadata.name!));
    return { obj: clone(current ?? o), removed: !current };
  }

  // --- request handling -------------------------------------------------------------------------

  interface Target { res: Resource; namespace?: string; name?: string; sub?: string }

  function parseTarget(group: string, version: string, segs: string[]): Target {
    const find = (plural: string | undefined) => (plural === undefined ? undefined : resources.get(`${group}/${version}/${plural}`));
    let t: Target | undefined;
    if (segs[0] === "namespaces" && segs.length >= 3 && find(segs[2])?.def.namespaced) {
      if (segs.length > 5) throw resourceNotFound();
      t = { res: find(segs[2])!, namespace: segs[1]!, ...(segs[3] !== undefined ? { name: segs[3] } : {}), ...(segs[4] !== undefined ? { sub: segs[4] } : {}) };
    } else {
      const res = find(segs[0]);
      if (!res || segs.length > 3) throw resourceNotFound();
      t = { res, ...(segs[1] !== undefined ? { name: segs[1] } : {}), ...(segs[2] !== undefined ? { sub: segs[2] } : {}) };
      if (res.def.namespaced && t.name !== undefined) throw resourceNotFound();
    }
    if (t.sub !== undefined && !(t.sub === "status" && t.res.def.hasStatus)) throw resourceNotFound();
    if (t.name === "") throw resourceNotFound();
    return t;
  }

  function decodeBody(res: Resource, body: unknown): Obj {
    if (!isObject(body)) throw badRequest("the body of the request could not be decoded as a JSON object");
    const o = clone(body) as Obj;
    if (!isObject(o.metadata)) o.metadata = {};
    if (res.def.custom) {
      if (!o.kind) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
      if (!o.apiVersion) throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(body)}'`);
    }
    if (o.apiVersion !== undefined && o.apiVersion !== res.apiVersion) {
      throw badRequest(`the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${res.apiVersion})`);
    }
    if (o.kind !== undefined && o.kind !== res.def.kind) {
      throw badRequest(`the kind in the data (${String(o.kind)}) does not match the expected kind (${res.def.kind})`);
    }
    return o;
  }

  function listItems(t: Target, q: URLSearchParams): Obj[] {
    const labelSel = q.get("labelSelector") ? parseLabelSelector(q.get("labelSelector")!) : undefined;
    const fieldSel = q.get("fieldSelector") ? parseFieldSelector(q.get("fieldSelector")!, t.res) : undefined;
    return [...t.res.objects.values()]
      .filter((o) => t.namespace === undefined || o.metadata.namespace === t.namespace)
      .filter((o) => !labelSel || labelSel(o.metadata.labels))
      .filter((o) => !fieldSel || fieldSel(o))
      .sort((a, b) => compareKeys(objKey(a.metadata.namespace, a.metadata.name!), objKey(b.metadata.namespace, b.metadata.name!)));
  }

  function list(t: Target, q: URLSearchParams): Record<string, unknown> {
    let items = listItems(t, q);
    const limit = Number(q.get("limit") ?? 0);
    const cont = q.get("continue");
    if (cont) {
      let after: string;
      try {
        after = String((JSON.parse(Buffer.from(cont, "base64url").toString()) as { after: string }).after);
      } catch {
        throw badRequest("invalid continue token");
      }
      items = items.filter((o) => objKey(o.metadata.namespace, o.metadata.name!) > after);
    }
    const meta: Record<string, unknown> = { resourceVersion: String(rv) };
    if (limit > 0 && items.length > limit) {
      const last = items[limit - 1]!;
      meta["continue"] = Buffer.from(JSON.stringify({ after: objKey(last.metadata.namespace, last.metadata.name!) })).toString("base64url");
      meta["remainingItemCount"] = items.length - limit;
      items = items.slice(0, limit);
    }
    // Built-in lists carry no apiVersion/kind on their items; custom resource lists do.
    const out = items.map((o) => (t.res.def.custom ? clone(o) : withoutKeys(clone(o), ["apiVersion", "kind"])));
    return { apiVersion: t.res.apiVersion, kind: `${t.res.def.kind}List`, metadata: meta, items: out };
  }

  function get(t: Target): Obj {
    const o = t.res.objects.get(objKey(t.namespace, t.name!));
    if (!o) throw notFound(t.res, t.name!);
    return clone(o);
  }

  function create(t: Target, body: unknown, dryRun: boolean): Obj {
    const o = decodeBody(t.res, body);
    if (t.res.def.namespaced) {
      if (o.metadata.namespace && o.metadata.namespace !== t.namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      o.metadata.namespace = t.namespace!;
    } else delete o.metadata.namespace;
    admitNamespace(t.res, t.namespace);
    if (!o.metadata.name && o.metadata.generateName) {
      for (let i = 0; i < 8; i++) {
        o.metadata.name = `${o.metadata.generateName}${randomSuffix()}`;
        if (!t.res.objects.has(objKey(t.namespace, o.metadata.name))) break;
      }
    }
    if (!o.metadata.name) throw invalid(t.res, "", [required("metadata.name", "name or generateName is required")]);
    const causes = validateMeta(t.res, o);
    if (causes.length) throw invalid(t.res, o.metadata.name, causes);
    if (t.res.objects.has(objKey(t.namespace, o.metadata.name))) throw alreadyExists(t.res, o.metadata.name);
    return insert(t.res, o, {}, dryRun);
  }

  /** PUT/PATCH core: `next` is the full desired object (status ignored or exclusive per subresource). */
  function update(t: Target, old: Obj, next: Obj, dryRun: boolean, requireRv: boolean): Obj {
    const name = t.name!;
    if (next.metadata.name !== name) {
      throw badRequest(`the name of the object (${next.metadata.name ?? ""}) does not match the name on the URL (${name})`);
    }
    if (t.res.def.namespaced && next.metadata.namespace && next.metadata.namespace !== t.namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    const given = next.metadata.resourceVersion;
    if (!given && requireRv) {
      throw invalid(t.res, name, [invalidValue("metadata.resourceVersion", "0x0", "must be specified for an update")]);
    }
    if (given && given !== old.metadata.resourceVersion) throw conflict(t.res, name, STALE);
    let desired: Obj;
    if (t.sub === "status") {
      desired = clone(old);
      if (next["status"] === undefined) delete desired["status"]; else desired["status"] = clone(next["status"]);
    } else {
      desired = clone(next);
      if (t.res.def.hasStatus) {
        if (old["status"] === undefined) delete desired["status"]; else desired["status"] = clone(old["status"]);
      }
      const causes = validateMeta(t.res, desired);
      if (causes.length) throw invalid(t.res, name, causes);
      if (old.metadata.deletionTimestamp) {
        const added = (desired.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
        if (added.length) {
          throw invalid(t.res, name, [{ reason: "FieldValueForbidden", field: "metadata.finalizers",
            message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
        }
      }
    }
    return replace(t.res, old, desired, dryRun);
  }

  function put(t: Target, body: unknown, dryRun: boolean): Obj {
    const next = decodeBody(t.res, body);
    const old = t.res.objects.get(objKey(t.namespace, t.name!));
    if (!old) throw notFound(t.res, t.name!);
    return update(t, old, next, dryRun, t.res.def.custom);
  }

  function patch(t: Target, body: unknown, contentType: string, dryRun: boolean): Obj {
    const old = t.res.objects.get(objKey(t.namespace, t.name!));
    const type = contentType.split(";")[0]!.trim().toLowerCase();
    const accepted = t.res.def.custom
      ? ["application/json-patch+json", "application/merge-patch+json"]
      : ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"];
    if (!accepted.includes(type)) {
      throw new ApiError(415, "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: ${[...accepted, "application/apply-patch+yaml"].join(", ")}`);
    }
    if (!old) throw notFound(t.res, t.name!);
    let patched: unknown;
    if (type === "application/json-patch+json") {
      if (!Array.isArray(body)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
      try {
        patched = applyJsonPatch(old, body);
      } catch (err) {
        if (!(err instanceof PatchError)) throw err;
        throw new ApiError(422, "Invalid", `the server rejected our request due to an error in our request: ${err.message}`, {});
      }
    } else {
      if (!isObject(body)) throw badRequest("the body of the request could not be decoded as a JSON object");
      patched = applyMergePatch(old, body);
    }
    const next = decodeBody(t.res, patched);
    if (next.metadata.name !== old.metadata.name) {
      throw invalid(t.res, t.name!, [invalidValue("metadata.name", next.metadata.name, "field is immutable")]);
    }
    return update(t, old, next, dryRun, false);
  }

  function parsePolicy(v: unknown): PropagationPolicy | undefined {
    if (v === undefined || v === null || v === "") return undefined;
    if (v === "Orphan" || v === "Background" || v === "Foreground") return v;
    throw new ApiError(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: ${JSON.stringify(v)}: supported values: "Foreground", "Background", "Orphan"`, {});
  }

  function del(t: Target, q: URLSearchParams, body: unknown, dryRun: boolean): { obj: unknown; warning?: string } {
    const options = isObject(body) ? body : {};
    const old = t.res.objects.get(objKey(t.namespace, t.name!));
    if (!old) throw notFound(t.res, t.name!);
    const pre = isObject(options["preconditions"]) ? options["preconditions"] : {};
    if (pre["uid"] && pre["uid"] !== old.metadata.uid) {
      throw conflict(t.res, t.name!, `Precondition failed: UID in precondition: ${String(pre["uid"])}, UID in object meta: ${old.metadata.uid ?? ""}`);
    }
    if (pre["resourceVersion"] && pre["resourceVersion"] !== old.metadata.resourceVersion) {
      throw conflict(t.res, t.name!, `Precondition failed: ResourceVersion in precondition: ${String(pre["resourceVersion"])}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ""}`);
    }
    let policy = parsePolicy(q.get("propagationPolicy") ?? options["propagationPolicy"]);
    const orphan = q.get("orphanDependents") ?? options["orphanDependents"];
    if (!policy && orphan !== undefined && orphan !== null) policy = orphan === true || orphan === "true" ? "Orphan" : "Background";
    let warning: string | undefined;
    if (!policy && t.res.def.group === "batch" && t.res.def.plural === "jobs") {
      warning = `299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"`;
    }
    const result = t.res.def.plural === "namespaces" && t.res.def.group === ""
      ? deleteNamespace(t.res, old, dryRun)
      : deleteObject(t.res, old, policy ?? t.res.def.defaultPropagation, dryRun);
    if (!result.removed || t.res.def.returnsDeletedObject) return { obj: result.obj, ...(warning ? { warning } : {}) };
    return {
      obj: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { ...groupDetails(t.res, t.name!), uid: old.metadata.uid } },
      ...(warning ? { warning } : {}),
    };
  }

  function deleteCollection(t: Target, q: URLSearchParams, dryRun: boolean): Record<string, unknown> {
    const policy = parsePolicy(q.get("propagationPolicy")) ?? t.res.def.defaultPropagation;
    const items: unknown[] = [];
    for (const o of listItems(t, q)) {
      const current = t.res.objects.get(objKey(o.metadata.namespace, o.metadata.name!));
      if (current) items.push(deleteObject(t.res, current, policy, dryRun).obj);
    }
    return { apiVersion: t.res.apiVersion, kind: `${t.res.def.kind}List`, metadata: { resourceVersion: String(rv) }, items };
  }

  function watch(t: Target, q: URLSearchParams, resp: http.ServerResponse): void {
    const labelSel = q.get("labelSelector") ? parseLabelSelector(q.get("labelSelector")!) : undefined;
    const fieldSel = q.get("fieldSelector") ? parseFieldSelector(q.get("fieldSelector")!, t.res) : undefined;
    const fromRaw = q.get("resourceVersion") ?? "";
    if (fromRaw !== "" && !/^\d+$/.test(fromRaw)) throw badRequest(`invalid resource version: ${fromRaw}`);
    const matches = (o: Obj) =>
      (t.namespace === undefined || o.metadata.namespace === t.namespace) && (!labelSel || labelSel(o.metadata.labels)) && (!fieldSel || fieldSel(o));

    resp.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
    resp.flushHeaders();
    const timers: NodeJS.Timeout[] = [];
    let open = true;
    const w: Watcher = {
      res: t.res,
      matches,
      send(type, obj) {
        if (open) resp.write(`${JSON.stringify({ type, object: obj })}\n`);
      },
      end(abrupt) {
        if (!open) return;
        open = false;
        watchers.delete(w);
        for (const tm of timers) clearTimeout(tm);
        if (abrupt) resp.socket?.destroy(); else resp.end();
      },
    };
    resp.on("close", () => w.end(false));

    if (fromRaw === "" || fromRaw === "0") {
      for (const o of listItems(t, new URLSearchParams())) if (matches(o)) w.send("ADDED", withTypeMeta(t.res, o));
    } else {
      const from = Number(fromRaw);
      if (from < compactedRv) {
        w.send("ERROR", new ApiError(410, "Expired", `too old resource version: ${from} (${compactedRv})`).toStatus());
        w.end(false);
        return;
      }
      for (const ev of history) if (ev.rv > from) deliver(w, ev);
    }
    watchers.add(w);
    if (q.get("allowWatchBookmarks") === "true") {
      const tick = () => {
        w.send("BOOKMARK", { apiVersion: t.res.apiVersion, kind: t.res.def.kind, metadata: { resourceVersion: String(rv) } });
        timers.push(setTimeout(tick, bookmarkIntervalMs));
      };
      timers.push(setTimeout(tick, bookmarkIntervalMs));
    }
    const timeout = Number(q.get("timeoutSeconds") ?? 0);
    if (timeout > 0) timers.push(setTimeout(() => w.end(false), timeout * 1000));
  }

  // --- discovery --------------------------------------------------------------------------------

  function groupVersions(): Map<string, Set<string>> {
    const m = new Map<string, Set<string>>();
    for (const r of resources.values()) {
      if (!m.has(r.def.group)) m.set(r.def.group, new Set());
      m.get(r.def.group)!.add(r.def.version);
    }
    return m;
  }

  function apiGroup(group: string, versions: Set<string>): Record<string, unknown> {
    const vs = [...versions].sort().reverse().map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { name: group, versions: vs, preferredVersion: vs[0] };
  }

  function resourceList(group: string, version: string): Record<string, unknown> | undefined {
    const rs = [...resources.values()].filter((r) => r.def.group === group && r.def.version === version);
    if (!rs.length) return undefined;
    const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    return {
      kind: "APIResourceList", apiVersion: "v1", groupVersion: group ? `${group}/${version}` : version,
      resources: rs.flatMap((r) => [
        { name: r.def.plural, singularName: r.def.kind.toLowerCase(), namespaced: r.def.namespaced, kind: r.def.kind, verbs },
        ...(r.def.hasStatus ? [{ name: `${r.def.plural}/status`, singularName: "", namespaced: r.def.namespaced, kind: r.def.kind, verbs: ["get", "patch", "update"] }] : []),
      ]),
    };
  }

  function discovery(segs: string[]): unknown {
    if (segs[0] === "version" && segs.length === 1) {
      return { major: "1", minor: "31", gitVersion: "v1.31.0-kmm-preflight-fake", platform: "linux/amd64" };
    }
    if (segs[0] === "api" && segs.length === 1) return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
    if (segs[0] === "api" && segs.length === 2) return resourceList("", segs[1]!);
    if (segs[0] === "apis" && segs.length === 1) {
      const groups = [...groupVersions()].filter(([g]) => g !== "").map(([g, vs]) => apiGroup(g, vs));
      return { kind: "APIGroupList", apiVersion: "v1", groups };
    }
    if (segs[0] === "apis" && segs.length === 2) {
      const vs = groupVersions().get(segs[1]!);
      return vs && segs[1] !== "" ? { kind: "APIGroup", apiVersion: "v1", ...apiGroup(segs[1]!, vs) } : undefined;
    }
    if (segs[0] === "apis" && segs.length === 3) return resourceList(segs[1]!, segs[2]!);
    return undefined;
  }

  // --- HTTP plumbing ----------------------------------------------------------------------------

  function sendJson(resp: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    if (resp.headersSent || resp.destroyed) return;
    const text = JSON.stringify(body);
    resp.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
    resp.end(text);
  }

  function matchesRequest(m: RequestMatch | undefined, r: RecordedRequest): boolean {
    if (!m) return true;
    if (typeof m === "function") return m(r);
    if (m.method && m.method.toUpperCase() !== r.method) return false;
    if (m.watch !== undefined && m.watch !== r.watch) return false;
    if (typeof m.path === "string" && m.path !== r.path) return false;
    if (m.path instanceof RegExp && !m.path.test(r.path)) return false;
    return true;
  }

  async function readBody(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function handle(req: http.IncomingMessage, resp: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const q = url.searchParams;
    const method = (req.method ?? "GET").toUpperCase();
    const isWatch = method === "GET" && (q.get("watch") === "true" || q.get("watch") === "1");
    const raw = await readBody(req).catch((err: unknown) => err);
    let body: unknown;
    let bodyError: ApiError | undefined;
    if (raw instanceof ApiError) bodyError = raw;
    else if (raw instanceof Buffer && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        // YAML (server-side apply) is not parsed: the PATCH handler answers 415 for it.
        if (String(req.headers["content-type"]).includes("yaml")) body = raw.toString("utf8");
        else bodyError = badRequest("the body of the request could not be decoded as JSON");
      }
    }
    const contentType = req.headers["content-type"];
    const rec: RecordedRequest = {
      method, path: url.pathname, query: Object.fromEntries(q), watch: isWatch,
      ...(contentType ? { contentType } : {}), ...(body !== undefined ? { body } : {}),
    };
    requests.push(rec);

    if (hanging) {
      await new Promise<void>((resolve) => hung.add(resolve));
      if (resp.destroyed || req.socket.destroyed) return;
    }
    if (delayMs > 0) {
      const ms = delayMs;
      await new Promise((r) => setTimeout(r, ms));
      if (resp.destroyed || req.socket.destroyed) return;
    }
    const failure = failures.find((f) => f.count > 0 && matchesRequest(f.match, rec));
    if (failure) {
      failure.count--;
      failures = failures.filter((f) => f.count > 0);
      const reason = REASONS[failure.code] ?? "Unknown";
      const message = failure.message ?? (failure.code === 500 ? "Internal error occurred: injected fault" : `injected fault (${failure.code})`);
      const err = new ApiError(failure.code, reason, message, {}, failure.code === 429 ? { "Retry-After": "1" } : {});
      sendJson(resp, err.code, err.toStatus(), err.headers);
      return;
    }
    if (bodyError) throw bodyError;

    const segs = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (["healthz", "readyz", "livez"].includes(segs[0] ?? "") && segs.length === 1) {
      resp.writeHead(200, { "Content-Type": "text/plain" });
      resp.end("ok");
      return;
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === "api" && segs.length >= 3) [group, version, rest] = ["", segs[1]!, segs.slice(2)];
    else if (segs[0] === "apis" && segs.length >= 4) [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
    else {
      const doc = method === "GET" ? discovery(segs) : undefined;
      if (doc === undefined) throw resourceNotFound();
      sendJson(resp, 200, doc);
      return;
    }
    const t = parseTarget(group, version, rest);
    const dryRun = q.getAll("dryRun").includes("All");
    if (t.name === undefined) {
      if (method === "GET" && isWatch) return watch(t, q, resp);
      if (method === "GET") return sendJson(resp, 200, list(t, q));
      if (method === "POST") {
        if (t.res.def.namespaced && t.namespace === undefined) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return sendJson(resp, 201, withTypeMeta(t.res, create(t, body, dryRun)));
      }
      if (method === "DELETE") {
        if (t.res.def.namespaced && t.namespace === undefined) throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return sendJson(resp, 200, deleteCollection(t, q, dryRun));
      }
    } else {
      if (method === "GET" && !isWatch) return sendJson(resp, 200, withTypeMeta(t.res, get(t)));
      if (method === "PUT") return sendJson(resp, 200, withTypeMeta(t.res, put(t, body, dryRun)));
      if (method === "PATCH") return sendJson(resp, 200, withTypeMeta(t.res, patch(t, body, contentType ?? "", dryRun)));
      if (method === "DELETE" && t.sub === undefined) {
        const { obj, warning } = del(t, q, body, dryRun);
        return sendJson(resp, 200, obj, warning ? { Warning: warning } : {});
      }
    }
    throw new ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }

  const server = http.createServer((req, resp) => {
    handle(req, resp).catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError(500, "InternalError", `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
      sendJson(resp, e.code, e.toStatus(), e.headers);
    });
  });
  server.on("connection", (s: Socket) => {
    if (refusing) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  for (const d of opts.replaceDefaults ? [] : DEFAULT_RESOURCES) register(d);
  for (const d of opts.resources ?? []) register(d);
  const nsRes = resources.get("/v1/namespaces");
  if (nsRes) for (const ns of INITIAL_NAMESPACES) insert(nsRes, { metadata: { name: ns } });
  // The starting namespaces are not replayable history, as on a real cluster.
  history = [];
  compactedRv = rv;

  function releaseHung(): void {
    const waiting = [...hung];
    hung.clear();
    for (const r of waiting) r();
  }

  const faults: Faults = {
    delay(ms) { delayMs = ms; },
    failNext(count, code = 500, o = {}) {
      failures.push({ count, code, ...(o.match ? { match: o.match } : {}), ...(o.message ? { message: o.message } : {}) });
    },
    hang() { hanging = true; },
    dropWatches(o = {}) { for (const w of [...watchers]) w.end(o.abrupt ?? false); },
    refuseConnections() {
      refusing = true;
      for (const w of [...watchers]) w.end(true);
      for (const s of sockets) s.destroy();
    },
    clear() {
      delayMs = 0;
      failures = [];
      hanging = false;
      refusing = false;
      releaseHung();
    },
  };

  const findStored = (ref: ResourceRef, name: string, namespace?: string) => {
    const res = lookup(ref);
    return { res, obj: res.objects.get(objKey(res.def.namespaced ? namespace : undefined, name)) };
  };

  return {
    url,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: "fake", server: url, skipTLSVerify: true }],
        users: [{ name: "fake" }],
        contexts: [{ name: "fake", cluster: "fake", user: "fake", namespace: "default" }],
        currentContext: "fake",
      });
      return kc;
    },
    register,
    seed(...objects) {
      return objects.map((input) => {
        const res = lookup({ apiVersion: String(input.apiVersion), kind: String(input.kind) });
        const o = clone(input) as Obj;
        if (!isObject(o.metadata) || !o.metadata.name) throw new Error("kube-api-server: seed needs metadata.name");
        if (res.def.namespaced) o.metadata.namespace ??= "default"; else delete o.metadata.namespace;
        if (res.objects.has(objKey(o.metadata.namespace, o.metadata.name))) {
          throw new Error(`kube-api-server: ${res.qualified} ${objKey(o.metadata.namespace, o.metadata.name)} already exists`);
        }
        return clone(insert(res, o, { status: true, uid: true, creationTimestamp: true })) as KubeObject;
      });
    },
    get(ref, name, namespace) {
      const { obj } = findStored(ref, name, namespace);
      return obj ? (clone(obj) as KubeObject) : undefined;
    },
    objects(ref, namespace) {
      const res = lookup(ref);
      return listItems({ res, ...(namespace !== undefined ? { namespace } : {}) }, new URLSearchParams()).map((o) => clone(o) as KubeObject);
    },
    modify(ref, name, namespace, mutate) {
      const { res, obj } = findStored(ref, name, namespace);
      if (!obj) throw new Error(`kube-api-server: ${res.qualified} ${objKey(namespace, name)} not found`);
      const next = clone(obj) as KubeObject;
      mutate(next);
      if (!isObject(next.metadata)) next.metadata = {};
      return clone(replace(res, obj, next as Obj)) as KubeObject;
    },
    remove(ref, name, namespace, o = {}) {
      const { res, obj } = findStored(ref, name, namespace);
      if (!obj) return false;
      deleteObject(res, obj, o.propagationPolicy ?? res.def.defaultPropagation);
      return true;
    },
    resourceVersion: () => String(rv),
    compact() {
      history = [];
      compactedRv = rv;
    },
    requests,
    clearRequests() { requests.length = 0; },
    openWatches: () => watchers.size,
    faults,
    async close() {
      for (const w of [...watchers]) w.end(true);
      hanging = false;
      releaseHung();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
