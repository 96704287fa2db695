import { GROUP, MODULE_KIND, MODULE_PLURAL, MODULE_VERSION, PREFLIGHT_KIND, PREFLIGHT_PLURAL, PREFLIGHT_VERSION } from "../api/index.js";

// The API resources kmm-preflight reads and writes, and where each lives on the API server.

export interface ResourceType {
  /** "" for the core group (pods, events). */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export const PREFLIGHTS: ResourceType = { group: GROUP, version: PREFLIGHT_VERSION, kind: PREFLIGHT_KIND, plural: PREFLIGHT_PLURAL, namespaced: false };
export const MODULES: ResourceType = { group: GROUP, version: MODULE_VERSION, kind: MODULE_KIND, plural: MODULE_PLURAL, namespaced: true };
export const JOBS: ResourceType = { group: "batch", version: "v1", kind: "Job", plural: "jobs", namespaced: true };
export const PODS: ResourceType = { group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true };
export const CONFIG_MAPS: ResourceType = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };
export const SECRETS: ResourceType = { group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true };
export const EVENTS: ResourceType = { group: "", version: "v1", kind: "Event", plural: "events", namespaced: true };

/** `/apis/<group>/<version>[/namespaces/<ns>]/<plural>`, or `/api/v1/...` for the core group; all namespaces without `namespace`. */
export function collectionPath(r: ResourceType, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return `${base}${r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ""}/${r.plural}`;
}
