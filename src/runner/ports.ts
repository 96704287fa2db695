import type { Module, PreflightValidationOCP } from "../api/index.js";
import type { Job, KubeEvent, Pod } from "../jobs/objects.js";
import type { PlannedEvent } from "../jobs/plan.js";
import type { ConfigMapState } from "../jobs/stages.js";

// What the runner needs of the cluster, as two small interfaces: reads answered from the watch caches
// (never an API request per Module) and the few writes a plan makes. src/runner/kube-ports.ts
// implements them over src/kube; tests may implement them however they like.

export interface ClusterView {
  /** True once every cache the runner reads has listed. */
  readonly synced: boolean;
  preflight(name: string): PreflightValidationOCP | undefined;
  preflights(): readonly PreflightValidationOCP[];
  modules(): readonly Module[];
  /** The Jobs whose controller is the PreflightValidationOCP with this uid. */
  jobsOwnedBy(preflightUid: string): readonly Job[];
  /** The Pods of the Job with this uid. */
  podsOf(jobUid: string): readonly Pod[];
  /** Warning Events about these objects (Jobs and Pods, by uid). */
  warningsAbout(uids: readonly string[]): readonly KubeEvent[];
  /** This product's Jobs that have not finished, cluster-wide. */
  activeJobs(): readonly Job[];
}

export interface ClusterWriter {
  /** The object as the API server has it now (after a conflict), or undefined when it is gone. */
  readPreflight(name: string): Promise<PreflightValidationOCP | undefined>;
  /** Writes `pf.status` through the status subresource with `pf.metadata.resourceVersion`; "conflict" when that is stale. */
  writeStatus(pf: PreflightValidationOCP): Promise<PreflightValidationOCP | "conflict">;
  /**
   * Creates a Job: "exists" when one of that name is there already. `refused` when the API server will
   * not create it as it stands (quota, forbidden, invalid); throws for what a retry may fix (5xx, timeouts).
   */
  createJob(job: Job): Promise<"created" | "exists" | { readonly refused: string }>;
  deleteJob(namespace: string, name: string, uid?: string): Promise<"deleted" | "absent">;
  recordEvent(pf: PreflightValidationOCP, e: PlannedEvent): Promise<void>;
  /** A build's ConfigMap (read only when a Module is about to build: never a cache of every ConfigMap). */
  readConfigMap(namespace: string, name: string): Promise<ConfigMapState>;
}
