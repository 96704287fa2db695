import type { VerificationStatus } from "../api/index.js";
import { ImageCheckError } from "../image-check/errors.js";
import { IMAGE_REPO_SECRET_ADVICE, TLS_ADVICE } from "../image-check/image-verdict.js";
import type { RegistryError } from "../registry/index.js";
import type { ModuleHash } from "../sign/index.js";

// What the sign stage reports (pure): ADR 5's meaning of true, false and error, in the sign stage's
// words. `false` is the Module's problem (a file missing from the image, a key that is not one, an
// image that does not exist); `error` is "we could not tell" (no access, registry down, a corrupt layer).

export interface SignVerdict {
  readonly verificationStatus: Exclude<VerificationStatus, "unknown">;
  readonly reason: string;
}

export const PUSH_SECRET_ADVICE = "spec.imageRepoSecret must name a kubernetes.io/dockerconfigjson Secret that can push to it";

const tlsAdvice = (err: RegistryError) => (err.tlsFailure ? ` (${TLS_ADVICE[err.tlsFailure]})` : "");

/** A failure reading the unsigned image (its manifest, config or layers). */
export function readFailureVerdict(image: string, err: RegistryError | ImageCheckError): SignVerdict {
  if (err instanceof ImageCheckError) return { verificationStatus: "error", reason: `unsigned image ${image} could not be read: ${err.message}` };
  if (err.kind === "NotFound") return { verificationStatus: "false", reason: `unsigned image ${image} does not exist: ${err.message}` };
  if (err.kind === "Unauthorized" || err.kind === "Forbidden") return { verificationStatus: "error", reason: `unsigned image ${image} is not accessible: ${err.message} (${IMAGE_REPO_SECRET_ADVICE})` };
  return { verificationStatus: "error", reason: `unsigned image ${image} could not be read: ${err.message}${tlsAdvice(err)}` };
}

/** A failure pushing the signed image. Always `error`: the image was signed; the registry refused or failed. */
export function pushFailureVerdict(image: string, err: RegistryError): SignVerdict {
  const advice = err.kind === "Unauthorized" || err.kind === "Forbidden" ? ` (${PUSH_SECRET_ADVICE})` : tlsAdvice(err);
  return { verificationStatus: "error", reason: `the signed image could not be pushed to ${image}: ${err.message}${advice}` };
}

/** What is under the kernel's module directory, for a reason naming a missing file. */
export interface DirectoryListing {
  /** Paths relative to the directory, sorted. */
  readonly files: readonly string[];
  /** More entries exist than `files` shows. */
  readonly truncated: boolean;
}

const list = (items: readonly string[]) => items.join(", ");

/** Files to sign that the unsigned image does not hold: which, and what the kernel's directory holds instead. */
export function missingFilesVerdict(missing: readonly string[], image: string, kernelDir: string, listing: DirectoryListing | undefined): SignVerdict {
  const what = `${list(missing)} ${missing.length === 1 ? "is" : "are"} not in the unsigned image ${image} (as a file, after whiteouts and links)`;
  const there = !listing
    ? `the image has no ${kernelDir} directory`
    : listing.files.length === 0
      ? `${kernelDir} is empty`
      : `${kernelDir} holds ${list(listing.files)}${listing.truncated ? ", …" : ""}`;
  return { verificationStatus: "false", reason: `${what}; ${there}` };
}

export interface Signed {
  /** The files signed, as the Module names them. */
  readonly files: readonly string[];
  /** Those that carried a signature, replaced. */
  readonly replaced: readonly string[];
  readonly hash: ModuleHash;
  /** The certificate's subject. */
  readonly signer: string;
  readonly input: string;
  readonly output: string;
  readonly digest: string;
  readonly pushed: boolean;
}

export function signedVerdict(s: Signed): SignVerdict {
  const replaced = s.replaced.length ? ` (replacing the signature ${list(s.replaced)} carried)` : "";
  const where = s.pushed ? `pushed to ${s.output} (${s.digest})` : `not pushed (no --push: pushBuiltImage is false); it would be ${s.output} (${s.digest})`;
  return { verificationStatus: "true", reason: `signed ${list(s.files)} of ${s.input} with ${s.hash}, signer ${s.signer}${replaced}; ${where}` };
}
