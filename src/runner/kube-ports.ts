import type { Module, PreflightValidationOCP } from "../api/index.js";
import { MANAGED_SELECTOR } from "../jobs/labels.js";
import type { Job, KubeEvent, Pod } from "../jobs/objects.js";
import { describeError, isConflict, statusCodeOf } from "../kube/api-error.js";
import type { EventRecorder } from "../kube/event-recorder.js";
import type { Informer } from "../kube/informer.js";
import type { KubeObject } from "../kube/json-api.js";
import { CONFIG_MAPS, EVENTS, JOBS, MODULES, PODS, PREFLIGHTS } from "../kube/resources.js";
import type { Writer } from "../kube/writer.js";
import type { Manager } from "../manager/manager.js";
import type { ClusterView, ClusterWriter } from "./ports.js";

// The runner's ports over the watch caches and the writer. Caches hold only what the runner reads:
// this product's Jobs and Pods (by label), Warning Events about them, and Modules without status.

export const JOB_OWNER_INDEX = "owner";
export const POD_JOB_INDEX = "job";
export const EVENT_OBJECT_INDEX = "about";
/** Every Job (and so every Pod) the runner creates is named so (src/jobs/job-name.ts). */
const JOB_NAME_PREFIX = "preflight-";

const controllerUid = (o: { metadata?: { ownerReferences?: { uid: string; controller?: boolean; kind: string }[] } }, kind: string) =>
  o.metadata?.ownerReferences?.filter((r) => r.kind === kind && r.controller !== false).map((r) => r.uid) ?? [];

/** Objects keep their metadata (minus managedFields) and the parts named here. */
function slim<T>(keep: readonly string[]) {
  return (o: KubeObject): T => {
    const { managedFields: _m, annotations: _a, ...metadata } = o.metadata ?? {};
    const out: Record<string, unknown> = { apiVersion: o.apiVersion, kind: o.kind, metadata };
    for (const k of keep) if (k in o) out[k] = o[k];
    return out as T;
  };
}

export interface RunnerCaches {
  readonly modules: Informer<Module>;
  readonly jobs: Informer<Job>;
  readonly pods: Informer<Pod>;
  readonly events: Informer<KubeEvent>;
}

/** Starts the caches the runner reads beside the shared PFVO cache; the manager waits for them before the runner starts. */
export function startRunnerCaches(manager: Manager): RunnerCaches {
  return {
    modules: manager.informer<Module>("Module", { resource: MODULES, transform: slim<Module>(["spec"]) }),
    jobs: manager.informer<Job>("Job", {
      resource: JOBS,
      labelSelector: MANAGED_SELECTOR,
      indexes: { [JOB_OWNER_INDEX]: (j) => controllerUid(j, PREFLIGHTS.kind) },
      transform: slim<Job>(["status"]),
    }),
    pods: manager.informer<Pod>("Pod", {
      resource: PODS,
      labelSelector: MANAGED_SELECTOR,
      indexes: { [POD_JOB_INDEX]: (p) => controllerUid(p, JOBS.kind) },
      transform: slim<Pod>(["status"]),
    }),
    // Events cannot be selected by label: Warnings only, on the server; then only ours, here.
    events: manager.informer<KubeEvent>("Event", {
      resource: EVENTS,
      fieldSelector: "type=Warning",
      keep: (e) => (e.involvedObject?.kind === "Pod" || e.involvedObject?.kind === "Job") && (e.involvedObject.name ?? "").startsWith(JOB_NAME_PREFIX),
      indexes: { [EVENT_OBJECT_INDEX]: (e) => (e.involvedObject?.uid ? [e.involvedObject.uid] : []) },
      transform: slim<KubeEvent>(["involvedObject", "reason", "message", "type", "count", "firstTimestamp", "lastTimestamp", "eventTime"]),
    }),
  };
}

export const jobFinished = (j: Job) => j.status?.conditions?.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True") ?? false;

export function clusterView(preflights: Informer<PreflightValidationOCP>, c: RunnerCaches): ClusterView {
  const all = [preflights, c.modules, c.jobs, c.pods, c.events];
  return {
    get synced() {
      return all.every((i) => i.synced);
    },
    preflight: (name) => preflights.get(name),
    preflights: () => preflights.list() ?? [],
    modules: () => c.modules.list() ?? [],
    jobsOwnedBy: (uid) => c.jobs.byIndex(JOB_OWNER_INDEX, uid),
    podsOf: (uid) => c.pods.byIndex(POD_JOB_INDEX, uid),
    warningsAbout: (uids) => uids.flatMap((u) => c.events.byIndex(EVENT_OBJECT_INDEX, u)),
    activeJobs: () => (c.jobs.list() ?? []).filter((j) => !jobFinished(j)),
  };
}

/** A refusal a retry cannot fix: the request as it stands (quota, RBAC, an invalid Job). */
const refusedForGood = (err: unknown) => {
  const code = statusCodeOf(err);
  return code !== undefined && code >= 400 && code < 500 && code !== 408 && code !== 429;
};

export function clusterWriter(writer: Writer, recorder: EventRecorder): ClusterWriter {
  return {
    readPreflight: (name) => writer.get<PreflightValidationOCP>(PREFLIGHTS, name),
    async writeStatus(pf) {
      try {
        return await writer.updateStatus(PREFLIGHTS, pf);
      } catch (err) {
        if (isConflict(err)) return "conflict";
        throw err;
      }
    },
    async createJob(job) {
      try {
        return await writer.create(JOBS, job);
      } catch (err) {
        if (refusedForGood(err)) return { refused: describeError(err) };
        throw err;
      }
    },
    async deleteJob(namespace, name, uid) {
      try {
        return await writer.delete(JOBS, name, namespace, { propagationPolicy: "Background", ...(uid && { uid }) });
      } catch (err) {
        // The uid precondition failed: the Job meant is gone, and one of the same name is newer.
        if (isConflict(err)) return "absent";
        throw err;
      }
    },
    async readConfigMap(namespace, name) {
      const cm = await writer.get<{ metadata?: { name?: string }; data?: Record<string, string> }>(CONFIG_MAPS, name, namespace);
      return cm ? { data: cm.data ?? {} } : "missing";
    },
    recordEvent: (pf, e) =>
      recorder.record({ apiVersion: pf.apiVersion, kind: pf.kind, name: pf.metadata.name ?? "", uid: pf.metadata.uid ?? "" }, e),
  };
}
