import { createHash } from "node:crypto";
import { type ImageReference, type Module, formatImageReference } from "../api/index.js";
import { buildArgsFor } from "../kernel/build-job-args.js";
import type { ModuleTarget } from "../kernel/module-target.js";
import { validationJob } from "./validation-job.js";
import type { Container, Job, Volume } from "./objects.js";

// The build-stage Job (README "The build stage", ADR 15): the Module's own Dockerfile built for the
// upgraded kernel by buildah, daemonless and without a shell: `buildah bud` in one container, and with
// pushBuiltImage, `buildah push` in a second one that starts once the build has succeeded (the build
// is an init container sharing the image storage with it). Every value is one argument; the
// Dockerfile comes from the Module's ConfigMap, mounted, never pasted into a command.

export const BUILD_CONTAINER = "build";
export const PUSH_CONTAINER = "push";
export const DOCKERFILE_DIR = "/kmm/dockerfile";
/** The key of the Module's build ConfigMap holding the Dockerfile (upstream KMM's). */
export const DOCKERFILE_KEY = "dockerfile";
const AUTH_DIR = "/kmm/registry-auth";
const AUTH_FILE = "config.json";
/** buildah's storage, shared by the build and push containers. */
const STORAGE_ROOT = "/var/lib/containers/storage";
const STORAGE_RUNROOT = "/run/containers/storage";
/** Build secrets appear where KMM's builds see them: /run/secrets/<name>, inside RUN steps too. */
const SECRETS_DIR = "/run/secrets";
/** A build keeps its tail of the log as the termination message when it fails (the kubelet's FallbackToLogsOnError). */
const TERMINATION_LOG = "/dev/termination-log";

export interface BuildJobParams {
  readonly preflight: { readonly name: string; readonly uid: string };
  readonly module: Module;
  /** What the Module means for the kernel: merged build section, image, TLS. */
  readonly target: ModuleTarget;
  readonly specHash: string;
  /** The builder's image (`--builder-image`): buildah. */
  readonly builderImage: string;
  readonly deadlineSeconds: number;
  /** Where the build's image goes: pushed when `push`, else only named in the builder's storage. */
  readonly destination: string;
  readonly push: boolean;
}

/**
 * Where a build that a sign stage follows pushes its output (the seed: "a temporary image name"): the
 * Module's repository, with a tag derived from the containerImage, the Module and the kernel.
 */
export function unsignedImageFor(containerImage: ImageReference, module: { namespace: string; name: string }, kernel: string): string {
  const hash = createHash("sha256").update([formatImageReference(containerImage), module.namespace, module.name, kernel].join("\n")).digest("hex").slice(0, 16);
  return formatImageReference({ ...containerImage, tag: `preflight-unsigned-${hash}`, digest: undefined } as ImageReference);
}

/** `--tls-verify=false` when the registry is plain HTTP or its certificate is not to be verified. */
const tlsArgs = (tls: { insecure?: boolean; insecureSkipTLSVerify?: boolean } | undefined) => (tls?.insecure || tls?.insecureSkipTLSVerify ? ["--tls-verify=false"] : []);

export function buildBuildJob(p: BuildJobParams): Job {
  const namespace = p.module.metadata.namespace ?? "";
  const module = p.module.metadata.name ?? "";
  const build = p.target.build ?? {};
  const pullSecret = p.module.spec?.imageRepoSecret?.name;
  const secrets = (build.secrets ?? []).map((s) => s.name).filter((n): n is string => !!n);
  const storageArgs = [`--root=${STORAGE_ROOT}`, `--runroot=${STORAGE_RUNROOT}`, "--storage-driver=vfs"];
  const auth = pullSecret ? [`--authfile=${AUTH_DIR}/${AUTH_FILE}`] : [];
  const volumes: Volume[] = [
    { name: "dockerfile", configMap: { name: build.dockerfileConfigMap?.name ?? "", items: [{ key: DOCKERFILE_KEY, path: "Dockerfile" }] } },
    { name: "storage", emptyDir: {} },
    { name: "run", emptyDir: { medium: "Memory" } },
    ...(pullSecret ? [{ name: "registry-auth", secret: { secretName: pullSecret, items: [{ key: ".dockerconfigjson", path: AUTH_FILE }] } }] : []),
    ...secrets.map((name, i) => ({ name: `build-secret-${i}`, secret: { secretName: name } })),
  ];
  const mounts = [
    { name: "storage", mountPath: STORAGE_ROOT },
    { name: "run", mountPath: "/run/containers" },
    ...(pullSecret ? [{ name: "registry-auth", mountPath: AUTH_DIR, readOnly: true }] : []),
  ];
  const container = (name: string, args: string[], extraMounts: Container["volumeMounts"] = []): Container => ({
    name,
    image: p.builderImage,
    command: ["buildah"],
    args,
    env: [
      { name: "BUILDAH_ISOLATION", value: "chroot" },
      { name: "STORAGE_DRIVER", value: "vfs" },
    ],
    terminationMessagePath: TERMINATION_LOG,
    terminationMessagePolicy: "FallbackToLogsOnError",
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "4Gi" } },
    // buildah builds as root with chroot isolation (no user namespaces, no /dev/fuse): it needs root and
    // the default capabilities, which the Pod Security Standard "baseline" allows and "restricted" does not.
    securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, privileged: false, seccompProfile: { type: "RuntimeDefault" } },
    volumeMounts: [...mounts, ...extraMounts],
  });
  const bud = container(
    BUILD_CONTAINER,
    [
      ...storageArgs,
      "bud",
      "--isolation=chroot",
      `--file=${DOCKERFILE_DIR}/Dockerfile`,
      ...buildArgsFor(p.target, p.module).map((a) => `--build-arg=${a.name}=${a.value}`),
      ...secrets.map((name) => `--volume=${SECRETS_DIR}/${name}:${SECRETS_DIR}/${name}:ro`),
      ...auth,
      ...tlsArgs(build.baseImageRegistryTLS),
      `--tag=${p.destination}`,
      DOCKERFILE_DIR,
    ],
    [{ name: "dockerfile", mountPath: DOCKERFILE_DIR, readOnly: true }, ...secrets.map((name, i) => ({ name: `build-secret-${i}`, mountPath: `${SECRETS_DIR}/${name}`, readOnly: true }))],
  );
  const push = container(PUSH_CONTAINER, [...storageArgs, "push", ...auth, ...tlsArgs(p.target.registryTLS), p.destination, `docker://${p.destination}`]);
  return validationJob({ preflight: p.preflight, namespace, module, stage: "build", specHash: p.specHash, push: p.push, deadlineSeconds: p.deadlineSeconds }, undefined, {
    securityContext: { seccompProfile: { type: "RuntimeDefault" } },
    ...(p.push ? { initContainers: [bud], containers: [push] } : { containers: [bud] }),
    volumes,
  });
}
