import type { Module, VerificationStatus } from "../api/index.js";
import { resolveModuleTarget } from "../kernel/module-target.js";
import type { CredentialLookup, Platform } from "../registry/index.js";
import { RegistryClient, RegistryError, formatImageReference } from "../registry/index.js";
import type { Logger } from "../log/logger.js";
import { ImageCheckError } from "./errors.js";
import { findKernelModule } from "./module-search.js";
import { layersOf } from "./registry-layers.js";

// The image stage for one Module and one kernel (seed: "Image validation stage"): does the image the
// Module names for that kernel exist, and does it hold the module where modprobe will look?

export interface ImageStageResult {
  readonly namespace: string;
  readonly name: string;
  readonly kernel: string;
  /** "true": verified; "false": failed (the build stage may help); "error": could not check (retry later). */
  readonly verificationStatus: Exclude<VerificationStatus, "unknown">;
  readonly reason: string;
  /** Index into spec.moduleLoader.container.kernelMappings, when one matched. */
  readonly mappingIndex?: number;
  readonly image?: string;
  readonly digest?: string;
  /** Where the module was found, as modprobe would see it (`/opt/lib/modules/<k>/extra/x.ko`). */
  readonly path?: string;
  /** A Module with no moduleLoader has nothing to validate; it counts as verified. */
  readonly skipped?: true;
}

export interface ImageStageDeps {
  /** The Module's pull secret (its imageRepoSecret), as a credential lookup. */
  readonly credentials?: CredentialLookup;
  /** Extra CA certificates for registries (PEM). */
  readonly ca?: string | readonly string[];
  /** Registries reached over plain HTTP whatever the Module says (a local mirror, tests). */
  readonly insecureRegistries?: readonly string[];
  /** @default linux/amd64 */
  readonly platform?: Platform;
  readonly log?: Logger;
  /** Client settings for tests (timeouts, retries). */
  readonly clientOptions?: Partial<ConstructorParameters<typeof RegistryClient>[0]>;
}

/** Registry failures that mean "the image is not there" rather than "we could not look". */
const IMAGE_MISSING_KINDS = new Set(["NotFound"]);

function describeRegistryError(err: RegistryError): { status: "false" | "error"; reason: string } {
  if (IMAGE_MISSING_KINDS.has(err.kind)) return { status: "false", reason: `image does not exist: ${err.message}` };
  if (err.kind === "Unauthorized" || err.kind === "Forbidden") {
    return { status: "error", reason: `image is not accessible: ${err.message} (spec.imageRepoSecret must name a kubernetes.io/dockerconfigjson Secret that can pull it)` };
  }
  return { status: "error", reason: `image could not be checked: ${err.message}` };
}

/** A name that must be one path component: it becomes part of a path inside the image. */
const isPathComponent = (v: unknown): v is string => typeof v === "string" && v !== "" && v !== "." && v !== ".." && !v.includes("/");

/**
 * Never throws for a Module's problem: every Module gets a verdict, so one malformed Module cannot
 * take the results of the others with it (the CLI checks many, and the Job reports through this).
 */
export async function checkModuleImage(module: Module, kernel: string, deps: ImageStageDeps = {}): Promise<ImageStageResult> {
  const id = { namespace: String(module.metadata?.namespace ?? ""), name: String(module.metadata?.name ?? ""), kernel };
  try {
    return await checkTarget(module, kernel, id, deps);
  } catch (err) {
    // Field types the CRD schema would have rejected (a Module read from a file), or a bug of ours.
    return { ...id, verificationStatus: "error", reason: `could not check this Module: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function checkTarget(module: Module, kernel: string, id: Pick<ImageStageResult, "namespace" | "name" | "kernel">, deps: ImageStageDeps): Promise<ImageStageResult> {
  if (!isPathComponent(kernel)) return { ...id, verificationStatus: "error", reason: `kernel ${JSON.stringify(kernel)} is not a kernel version (it names a directory under lib/modules/)` };
  const resolved = resolveModuleTarget(module, kernel);
  if (!resolved.ok) {
    if (resolved.skip) return { ...id, verificationStatus: "true", skipped: true, reason: resolved.reason };
    // A Module that cannot name an image for this kernel fails validation: the user has to change it.
    return { ...id, verificationStatus: "false", reason: resolved.reason };
  }
  const t = resolved.target;
  const at = { mappingIndex: t.mappingIndex, image: t.containerImage };
  if (!isPathComponent(t.moduleName)) {
    const why = t.moduleName === "" ? "is empty: there is no module file to look for" : `${JSON.stringify(t.moduleName)} must be a module name, not a path`;
    return { ...id, ...at, verificationStatus: "false", reason: `spec.moduleLoader.container.modprobe.moduleName ${why}` };
  }

  const insecure = new Set(deps.insecureRegistries ?? []);
  const client = new RegistryClient({
    ...deps.clientOptions,
    credentials: deps.credentials,
    ca: deps.ca,
    platform: deps.platform,
    log: deps.log,
    tls: (registry) => (insecure.has(registry) ? { insecure: true } : registry === t.imageReference.registry ? t.registryTLS : undefined),
  });
  try {
    const image = await client.getImage(t.imageReference);
    const found = await findKernelModule(layersOf(client, image), { dirName: t.dirName, kernel, moduleName: t.moduleName });
    const pinned = { ...at, digest: image.digest };
    const modulesDir = `${t.dirName.replace(/\/+$/, "")}/lib/modules/`;
    if (found.found) {
      const path = `/${found.path}`;
      return { ...id, ...pinned, path, verificationStatus: "true", reason: `${formatImageReference(image.ref)} holds ${path}` };
    }
    const seen = found.kernelDirs.length ? `; ${modulesDir} holds ${found.kernelDirs.join(", ")}` : `; the image has no ${modulesDir} directory`;
    const others = found.candidates?.length ? `; modules for this kernel: ${found.candidates.join(", ")}` : "";
    return { ...id, ...pinned, verificationStatus: "false", reason: `image does not contain ${t.moduleName}.ko (or .ko.xz/.gz/.zst) under ${modulesDir}${kernel}/ on any layer${seen}${others}` };
  } catch (err) {
    if (err instanceof RegistryError) {
      const d = describeRegistryError(err);
      return { ...id, ...at, verificationStatus: d.status, reason: d.reason };
    }
    if (err instanceof ImageCheckError) return { ...id, ...at, verificationStatus: "error", reason: `image could not be read: ${err.message}` };
    throw err;
  } finally {
    await client.close();
  }
}
