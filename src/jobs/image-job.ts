import type { Module } from "../api/index.js";
import { validationJob } from "./validation-job.js";
import type { Container, Job, Volume } from "./objects.js";

// The image-stage Job (a contract: README "The validation Jobs", ADR 12). It runs the same
// `kmm-preflight check` a person runs, from the product's own image, with everything it needs in its
// args and volumes: the Module as the runner saw it (a Pod annotation, read through the downward API),
// the kernel, and the Module's pull secret. It needs no API access.

/** Pod annotation holding the Module (JSON) that the check reads. */
export const MODULE_ANNOTATION = "preflight.kmm.sigs.x-k8s.io/module";
export const CONTAINER_NAME = "check";
export const TERMINATION_MESSAGE_PATH = "/dev/termination-log";
export const MODULE_DIR = "/etc/kmm-preflight/module";
export const MODULE_FILE = "module.json";
export const PULL_SECRET_DIR = "/var/run/secrets/kmm-preflight/pull-secret";
/** Where the Module's imageRepoSecret key `.dockerconfigjson` appears. */
export const PULL_SECRET_FILE = "config.json";
/** The uid of the image's USER (distroless "nonroot"): numeric, so the kubelet can verify runAsNonRoot. */
const NONROOT_UID = 65532;

/** image: this product's (`--job-image`); deadlineSeconds: activeDeadlineSeconds (`--job-deadline-seconds`). */
export type ImageJobParams = CliJobParams;

/** The Module as the check needs it: identity and what the image stage reads, nothing else (no status, no managedFields). */
export function moduleForJob(m: Module): Module {
  const spec = m.spec ?? ({} as Module["spec"]);
  return {
    apiVersion: m.apiVersion,
    kind: m.kind,
    metadata: { name: m.metadata.name, namespace: m.metadata.namespace },
    spec: {
      selector: spec.selector ?? {},
      ...(spec.imageRepoSecret && { imageRepoSecret: spec.imageRepoSecret }),
      ...(spec.moduleLoader && { moduleLoader: spec.moduleLoader }),
    },
  };
}



export function buildImageJob(p: ImageJobParams): Job {
  return cliJob("image", p, []);
}

export interface CliJobParams {
  readonly preflight: { readonly name: string; readonly uid: string };
  readonly module: Module;
  readonly kernel: string;
  readonly specHash: string;
  readonly image: string;
  readonly deadlineSeconds: number;
}

/**
 * A Job running `kmm-preflight <command>` (check for the image stage, sign for the sign stage) on the
 * Module as the runner saw it, hardened alike: the command's own arguments, Secret volumes and mounts come in `extra`.
 */
export function cliJob(stage: "image" | "sign", p: CliJobParams, extraArgs: readonly string[], extra: { readonly volumes?: readonly Volume[]; readonly mounts?: readonly NonNullable<Container["volumeMounts"]>[number][]; readonly push?: boolean } = {}): Job {
  const namespace = p.module.metadata.namespace ?? "";
  const module = p.module.metadata.name ?? "";
  const pullSecret = p.module.spec?.imageRepoSecret?.name;
  const volumes: Volume[] = [
    { name: "module", downwardAPI: { items: [{ path: MODULE_FILE, fieldRef: { fieldPath: `metadata.annotations['${MODULE_ANNOTATION}']` } }] } },
    // A missing Secret (or key) keeps the Pod from starting: the kubelet's FailedMount names it, and
    // the runner reports it as the Module's error.
    ...(pullSecret ? [{ name: "pull-secret", secret: { secretName: pullSecret, items: [{ key: ".dockerconfigjson", path: PULL_SECRET_FILE }] } }] : []),
    ...(extra.volumes ?? []),
    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
  ];
  // `--flag=value`: a value that starts with "-" (whatever the release says the kernel is) stays a value.
  const args = [
    stage === "image" ? "check" : "sign",
    `--module=${MODULE_DIR}/${MODULE_FILE}`,
    `--kernel=${p.kernel}`,
    ...extraArgs,
    "--output=json",
    `--termination-message-path=${TERMINATION_MESSAGE_PATH}`,
    ...(pullSecret ? [`--pull-secret=${PULL_SECRET_DIR}/${PULL_SECRET_FILE}`] : []),
  ];
  return validationJob({ preflight: p.preflight, namespace, module, stage, specHash: p.specHash, push: extra.push === true, deadlineSeconds: p.deadlineSeconds }, { [MODULE_ANNOTATION]: JSON.stringify(moduleForJob(p.module)) }, {
    securityContext: { runAsNonRoot: true, runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID, fsGroup: NONROOT_UID, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: CONTAINER_NAME,
        image: p.image,
        args,
        terminationMessagePath: TERMINATION_MESSAGE_PATH,
        terminationMessagePolicy: "File",
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        securityContext: {
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        },
        volumeMounts: [
          { name: "module", mountPath: MODULE_DIR, readOnly: true },
          ...(pullSecret ? [{ name: "pull-secret", mountPath: PULL_SECRET_DIR, readOnly: true }] : []),
          ...(extra.mounts ?? []),
          { name: "tmp", mountPath: "/tmp" },
        ],
      },
    ],
    volumes,
  });
}
