import type { KubeConfig } from "@kubernetes/client-node";
import { isAlreadyExists, isNotFound } from "./api-error.js";
import { type ApiObject, JsonApi, type JsonApiOptions, type PropagationPolicy } from "./json-api.js";
import type { ResourceType } from "./resources.js";

// Writes as a controller makes them: idempotent. Children have deterministic names, so AlreadyExists on
// create and NotFound on delete mean the work is done (by us before a restart, or by another replica).

export interface Writer {
  /** Creates `obj`; "exists" when an object of that name already exists (not an error). */
  create<T extends ApiObject>(r: ResourceType, obj: T, signal?: AbortSignal): Promise<"created" | "exists">;
  /**
   * Deletes an object, its dependents by `propagationPolicy` (default Background: the garbage collector
   * removes a Job's Pods). With `uid`, only that incarnation of the name. "absent" when already gone.
   */
  delete(r: ResourceType, name: string, namespace: string | undefined, o?: { propagationPolicy?: PropagationPolicy; uid?: string; signal?: AbortSignal }): Promise<"deleted" | "absent">;
  /**
   * Writes `obj.status` through the status subresource. `obj.metadata.resourceVersion` must be the one
   * the status was computed from: a 409 (isConflict) says someone wrote since; re-read and re-plan.
   */
  updateStatus<T extends ApiObject>(r: ResourceType, obj: T, signal?: AbortSignal): Promise<T>;
  /** The object, or undefined when it does not exist. */
  get<T extends ApiObject>(r: ResourceType, name: string, namespace?: string, signal?: AbortSignal): Promise<T | undefined>;
  /** A JSON merge patch of an object (e.g. an Event's count). */
  mergePatch<T extends ApiObject>(r: ResourceType, name: string, namespace: string | undefined, patch: object, signal?: AbortSignal): Promise<T>;
}

export function createWriter(kc: KubeConfig, opts: JsonApiOptions = {}): Writer {
  const api = new JsonApi(kc, opts);
  return {
    async create(r, obj, signal) {
      try {
        await api.create(r, obj, signal);
        return "created";
      } catch (err) {
        if (isAlreadyExists(err)) return "exists";
        throw err;
      }
    },
    async delete(r, name, namespace, o = {}) {
      try {
        await api.delete(r, name, namespace, { propagationPolicy: o.propagationPolicy ?? "Background", ...(o.uid && { uid: o.uid }), ...(o.signal && { signal: o.signal }) });
        return "deleted";
      } catch (err) {
        if (isNotFound(err)) return "absent";
        throw err;
      }
    },
    updateStatus: (r, obj, signal) => api.replaceStatus(r, obj, signal),
    async get<T extends ApiObject>(r: ResourceType, name: string, namespace?: string, signal?: AbortSignal) {
      try {
        return await api.get<T>(r, name, namespace, signal);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    mergePatch: (r, name, namespace, patch, signal) => api.mergePatch(r, name, namespace, patch, signal),
  };
}
