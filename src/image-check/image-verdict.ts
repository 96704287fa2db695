import type { VerificationStatus } from "../api/index.js";
import type { RegistryError, TlsFailure } from "../registry/index.js";
import { ImageCheckError } from "./errors.js";
import type { KernelModuleQuery, KernelModuleSearch } from "./module-search.js";

// The image stage's verdict (ADR 5) from what looking at the image gave: pure, so every verdict and
// reason is tested without a registry. The registry's errors are neutral (the client serves release
// images too); the advice that names the Module's fields is added here.

/** What looking at the image gave: the module search over its layers, or the error that stopped it. */
export type ImageLookup =
  | { readonly image: string; readonly search: KernelModuleSearch }
  | { readonly error: RegistryError | ImageCheckError };

export interface ImageVerdict {
  readonly verificationStatus: Exclude<VerificationStatus, "unknown">;
  readonly reason: string;
  /** Where the module was found, as modprobe would see it (`/opt/lib/modules/<k>/extra/x.ko`). */
  readonly path?: string;
}

/** Registry failures that mean "the image is not there" rather than "we could not look". */
const IMAGE_MISSING_KINDS: ReadonlySet<RegistryError["kind"]> = new Set(["NotFound"]);

export const IMAGE_REPO_SECRET_ADVICE = "spec.imageRepoSecret must name a kubernetes.io/dockerconfigjson Secret that can pull it";

export const TLS_ADVICE: Readonly<Record<TlsFailure, string>> = {
  UntrustedCertificate: "the Module's registryTLS.insecureSkipTLSVerify skips verification for a registry without a trusted certificate",
  NotTls: "the Module's registryTLS.insecure reaches a plain-HTTP registry",
};

export function imageVerdict(lookup: ImageLookup, query: KernelModuleQuery): ImageVerdict {
  if ("error" in lookup) return errorVerdict(lookup.error);
  const { search } = lookup;
  if (search.found) {
    const path = `/${search.path}`;
    return { verificationStatus: "true", reason: `${lookup.image} holds ${path}`, path };
  }
  const modulesDir = `${query.dirName.replace(/\/+$/, "")}/lib/modules/`;
  const seen = search.kernelDirs.length ? `; ${modulesDir} holds ${search.kernelDirs.join(", ")}` : `; the image has no ${modulesDir} directory`;
  const others = search.candidates?.length ? `; modules for this kernel: ${search.candidates.join(", ")}` : "";
  return {
    verificationStatus: "false",
    reason: `image does not contain ${query.moduleName}.ko (or .ko.xz/.gz/.zst) under ${modulesDir}${query.kernel}/ on any layer${seen}${others}`,
  };
}

function errorVerdict(err: RegistryError | ImageCheckError): ImageVerdict {
  if (err instanceof ImageCheckError) return { verificationStatus: "error", reason: `image could not be read: ${err.message}` };
  if (IMAGE_MISSING_KINDS.has(err.kind)) return { verificationStatus: "false", reason: `image does not exist: ${err.message}` };
  if (err.kind === "Unauthorized" || err.kind === "Forbidden") return { verificationStatus: "error", reason: `image is not accessible: ${err.message} (${IMAGE_REPO_SECRET_ADVICE})` };
  const advice = err.tlsFailure ? ` (${TLS_ADVICE[err.tlsFailure]})` : "";
  return { verificationStatus: "error", reason: `image could not be checked: ${err.message}${advice}` };
}
