import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import type { ObjectMeta } from "../api/index.js";
import { deadline, withSignalForCoreGroup } from "./request-options.js";
import { collectionPath, type ResourceType } from "./resources.js";

// Plain-JSON access to any resource through client-node (its auth, TLS and proxy handling), every
// request with a deadline. Objects come back exactly as the API server wrote them.

/** What every API object has; the constraint of the typed calls (a Job, an Event, a PFVO). */
export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** An object as the API server sends it; callers check the shape of what they read. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ObjectList<T extends ApiObject = KubeObject> {
  readonly items: T[];
  /** The list's resourceVersion, from which a watch continues. */
  readonly resourceVersion: string;
}

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

/** Thrown when the API server did not answer within the request timeout. */
export class KubeRequestTimeout extends Error {
  override readonly name = "KubeRequestTimeout";
}

export interface JsonApiOptions {
  /** Give up on a request not answered after this long. @default 30000 */
  readonly requestTimeoutMs?: number;
}

export class JsonApi {
  readonly #api: CustomObjectsApi;
  readonly #timeoutMs: number;

  constructor(kc: KubeConfig, opts: JsonApiOptions = {}) {
    this.#api = kc.makeApiClient(CustomObjectsApi);
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  async #call<T>(r: ResourceType, what: string, send: (options: ReturnType<typeof withSignalForCoreGroup>) => Promise<T>, signal?: AbortSignal, contentType?: string): Promise<T> {
    const d = deadline(this.#timeoutMs, signal);
    try {
      return await send(withSignalForCoreGroup(d.signal, contentType));
    } catch (err) {
      if (d.timedOut()) throw new KubeRequestTimeout(`${what} ${collectionPath(r)}: no answer within ${this.#timeoutMs} ms`);
      throw err;
    } finally {
      d.dispose();
    }
  }

  /** Every object of `r` (in `namespace`, or all namespaces), optionally filtered by a label selector. */
  async list<T extends ApiObject>(r: ResourceType, o: { namespace?: string; labelSelector?: string; fieldSelector?: string; signal?: AbortSignal } = {}): Promise<ObjectList<T>> {
    const q = { group: r.group, version: r.version, plural: r.plural, ...(o.labelSelector && { labelSelector: o.labelSelector }), ...(o.fieldSelector && { fieldSelector: o.fieldSelector }) };
    const list = (await this.#call(r, "list", (opts) =>
      r.namespaced && o.namespace ? this.#api.listNamespacedCustomObject({ ...q, namespace: o.namespace }, opts) : this.#api.listClusterCustomObject(q, opts), o.signal)) as {
      items?: T[];
      metadata?: { resourceVersion?: string };
    };
    return { items: Array.isArray(list.items) ? list.items : [], resourceVersion: list.metadata?.resourceVersion ?? "" };
  }

  async get<T extends ApiObject>(r: ResourceType, name: string, namespace?: string, signal?: AbortSignal): Promise<T> {
    const q = { group: r.group, version: r.version, plural: r.plural, name };
    return (await this.#call(r, "get", (opts) =>
      r.namespaced ? this.#api.getNamespacedCustomObject({ ...q, namespace: namespace ?? "" }, opts) : this.#api.getClusterCustomObject(q, opts), signal)) as T;
  }

  async create<T extends ApiObject>(r: ResourceType, body: T, signal?: AbortSignal): Promise<T> {
    const q = { group: r.group, version: r.version, plural: r.plural, body };
    return (await this.#call(r, "create", (opts) =>
      r.namespaced ? this.#api.createNamespacedCustomObject({ ...q, namespace: body.metadata?.namespace ?? "" }, opts) : this.#api.createClusterCustomObject(q, opts), signal)) as T;
  }

  /** PUT of the status subresource: fails with 409 unless `body.metadata.resourceVersion` is the latest. */
  async replaceStatus<T extends ApiObject>(r: ResourceType, body: T, signal?: AbortSignal): Promise<T> {
    const q = { group: r.group, version: r.version, plural: r.plural, name: body.metadata?.name ?? "", body };
    return (await this.#call(r, "update status of", (opts) =>
      r.namespaced
        ? this.#api.replaceNamespacedCustomObjectStatus({ ...q, namespace: body.metadata?.namespace ?? "" }, opts)
        : this.#api.replaceClusterCustomObjectStatus(q, opts), signal)) as T;
  }

  /** A JSON merge patch (RFC 7386) of one object. */
  async mergePatch<T extends ApiObject>(r: ResourceType, name: string, namespace: string | undefined, patch: object, signal?: AbortSignal): Promise<T> {
    const q = { group: r.group, version: r.version, plural: r.plural, name, body: patch };
    return (await this.#call(r, "patch", (opts) =>
      r.namespaced ? this.#api.patchNamespacedCustomObject({ ...q, namespace: namespace ?? "" }, opts) : this.#api.patchClusterCustomObject(q, opts), signal, "application/merge-patch+json")) as T;
  }

  /** Deletes one object; with `uid`, only that incarnation of the name (a precondition). */
  async delete(r: ResourceType, name: string, namespace: string | undefined, o: { propagationPolicy?: PropagationPolicy; uid?: string; signal?: AbortSignal } = {}): Promise<void> {
    const q = {
      group: r.group,
      version: r.version,
      plural: r.plural,
      name,
      ...(o.propagationPolicy && { propagationPolicy: o.propagationPolicy }),
      ...(o.uid && { body: { preconditions: { uid: o.uid } } }),
    };
    await this.#call(r, "delete", (opts) =>
      r.namespaced ? this.#api.deleteNamespacedCustomObject({ ...q, namespace: namespace ?? "" }, opts) : this.#api.deleteClusterCustomObject(q, opts), o.signal);
  }
}
