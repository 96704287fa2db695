import type { ObjectMeta } from "../api/index.js";

// The parts of batch/v1 Job, core/v1 Pod and core/v1 Event that the runner writes or reads, as plain
// JSON (timestamps are RFC 3339 strings). What comes from the cluster is untrusted: readers check.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; message?: string; finishedAt?: string };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value: string }[];
  imagePullPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}

export interface Volume {
  name: string;
  secret?: { secretName: string; optional?: boolean; items?: { key: string; path: string }[] };
  configMap?: { name: string; optional?: boolean; items?: { key: string; path: string }[] };
  downwardAPI?: { items: { path: string; fieldRef: { fieldPath: string } }[] };
  emptyDir?: { medium?: string; sizeLimit?: string };
}

export interface PodSpec {
  restartPolicy: "Never" | "OnFailure" | "Always";
  /** Run in order, each to completion, before `containers`. */
  initContainers?: Container[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  enableServiceLinks?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Volume[];
  imagePullSecrets?: { name: string }[];
  tolerations?: unknown[];
  nodeSelector?: Record<string, string>;
}

export interface Job {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: ObjectMeta;
  spec: {
    backoffLimit: number;
    activeDeadlineSeconds: number;
    ttlSecondsAfterFinished: number;
    template: { metadata: Pick<ObjectMeta, "labels" | "annotations">; spec: PodSpec };
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Condition[];
  };
}

export interface Pod {
  apiVersion?: "v1";
  kind?: "Pod";
  metadata: ObjectMeta;
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Condition[];
    initContainerStatuses?: ({ name?: string; state?: ContainerState })[];
    containerStatuses?: ({ name?: string; state?: ContainerState })[];
  };
}

export interface KubeEvent {
  apiVersion?: "v1";
  kind?: "Event";
  metadata: ObjectMeta;
  involvedObject: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string | null;
  source?: { component?: string };
  reportingComponent?: string;
  reportingInstance?: string;
}
