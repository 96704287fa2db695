import type { Module } from "../api/index.js";
import { parseImageReference, type ImageReference } from "../api/image-reference.js";
import type { TLSOptions } from "../api/module.js";
import { ImageCheckError } from "../image-check/errors.js";
import { basenameOf, dirnameOf, joinImagePath, kernelDirProblem } from "../image-check/layer-path.js";
import { readResolvedFileFromLayers, resolvePathInLayers, type LayerSource } from "../image-check/layered-fs.js";
import { layersOf } from "../image-check/registry-layers.js";
import { type CheckResult, resultIdentity } from "../jobs/termination-message.js";
import { resolveModuleTarget, type ModuleTarget } from "../kernel/module-target.js";
import { MAX_MANIFEST_BYTES, RegistryError, formatImageReference, type RegistryClient, type RequestOptions, type ResolvedImage } from "../registry/index.js";
import { DEFAULT_MODULE_HASH, signKernelModule, type ModuleHash, type SigningKey, type SigningKeyResult } from "../sign/index.js";
import { appendLayer, createdOf } from "./append-layer.js";
import { filesToSign, type FileToSign } from "./files-to-sign.js";
import { listDirectory } from "./list-directory.js";
import { buildLayer, type LayerFile } from "./signed-layer.js";
import { missingFilesVerdict, pushFailureVerdict, readFailureVerdict, signedVerdict, type SignVerdict } from "./sign-verdict.js";

// The sign stage for one Module and one kernel (seed: "Sign validation stage"): sign the Module's
// filesToSign, read from the unsigned image, with its key, as the kernel's sign-file would; the signed
// image is the unsigned one plus one layer holding the signed files; push it to the Module's
// containerImage when asked (pushBuiltImage). No builder, no privileges: registry operations only.

/** The largest module read into memory to be signed. */
export const MAX_MODULE_BYTES = 256 * 1024 * 1024;
/** Entries of the kernel's module directory a reason lists. */
const MAX_LISTED = 20;

export interface SignStageRequest {
  /** The upgraded kernel: the directory name under lib/modules/. */
  readonly kernel: string;
  /** The Module's key and certificate (keySecret, certSecret), already read with loadSigningKey. */
  readonly signingKey: SigningKeyResult;
  /** @default DEFAULT_MODULE_HASH (sha256) */
  readonly hash?: ModuleHash;
  /** The image to sign instead of the Module's sign.unsignedImage: the build stage's output. */
  readonly unsignedImage?: string;
  /** Where the signed image goes instead of the Module's containerImage for the kernel. */
  readonly outputImage?: string;
  /** Push the signed image (pushBuiltImage); without it, everything but the push. */
  readonly push: boolean;
}

/** What the sign stage needs of a registry client (the caller builds it with the pull secret and closes it). */
export type SignRegistry = Pick<RegistryClient, "getImage" | "openBlob" | "pushBlob" | "putManifest">;

export interface SignStageDeps {
  readonly registry: SignRegistry;
  /** Aborts the registry work (a timeout); the stage then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A verdict as the termination message carries it, plus what was signed. */
export interface SignStageResult extends CheckResult {
  readonly kernel: string;
  /** The image that was signed. */
  readonly unsignedImage?: string;
  /** The files signed, as the Module names them. */
  readonly signedFiles?: readonly string[];
  readonly pushed?: boolean;
}

type Identity = Pick<SignStageResult, "namespace" | "name" | "kernel">;

/**
 * Never throws for a Module's problem: every outcome is a verdict. Rejects only when `deps.signal`
 * aborts (with its reason).
 */
export async function signModuleImage(module: Module, req: SignStageRequest, deps: SignStageDeps): Promise<SignStageResult> {
  const id: Identity = resultIdentity(module, req.kernel);
  try {
    return await signTarget(module, req, id, deps);
  } catch (err) {
    if (deps.signal?.aborted) throw deps.signal.reason;
    // Field types the CRD schema would have rejected (a Module read from a file), or a bug of ours.
    return { ...id, verificationStatus: "error", reason: `could not sign for this Module: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function parseRef(value: string, what: string): { ok: true; ref: ImageReference } | { ok: false; reason: string } {
  const r = parseImageReference(value);
  return r.ok ? { ok: true, ref: r.ref } : { ok: false, reason: `${what} ${JSON.stringify(value)} is not a valid image reference: ${r.errors.join("; ")}` };
}

const sameImage = (a: ImageReference, b: ImageReference) =>
  a.registry === b.registry && a.repository === b.repository && (a.tag ?? "") === (b.tag ?? "") && (a.digest ?? "") === (b.digest ?? "");

/** The pieces a sign run needs, or the verdict that stops it before any registry request. */
type Plan =
  | { readonly ok: false; readonly verdict: SignVerdict; readonly image?: string }
  | {
      readonly ok: true;
      readonly target: ModuleTarget;
      readonly files: readonly FileToSign[];
      readonly input: { readonly ref: ImageReference; readonly name: string; readonly tls: TLSOptions };
      readonly output: { readonly ref: ImageReference; readonly name: string; readonly tls: TLSOptions };
      readonly key: SigningKey;
    };

const refuse = (reason: string, image?: string): Plan => ({ ok: false, verdict: { verificationStatus: "false", reason }, ...(image !== undefined && { image }) });

/** Everything that can be decided from the Module, the request and the key, in the order a user fixes them. */
function plan(module: Module, req: SignStageRequest): Plan | { skip: string } {
  const resolved = resolveModuleTarget(module, req.kernel);
  if (!resolved.ok) return resolved.skip ? { skip: resolved.reason } : refuse(resolved.reason);
  const t = resolved.target;
  const mapping = `spec.moduleLoader.container.kernelMappings[${t.mappingIndex}]`;
  const outputName = req.outputImage ?? t.containerImage;
  const sign = t.sign;
  if (!sign) return refuse(`no sign section applies to kernel ${req.kernel}: set spec.moduleLoader.container.sign or ${mapping}.sign`, outputName);
  const files = filesToSign(sign.filesToSign ?? [], t.dirName);
  if (!files.ok) return refuse(files.reason, outputName);

  const inputName = req.unsignedImage ?? sign.unsignedImage;
  if (!inputName) return refuse("sign.unsignedImage is not set and no build output was given to sign: set sign.unsignedImage, or a build section", outputName);
  const input = parseRef(inputName, req.unsignedImage !== undefined ? "the image to sign" : "sign.unsignedImage");
  if (!input.ok) return refuse(input.reason, outputName);
  const output = parseRef(outputName, req.outputImage !== undefined ? "the output image" : "containerImage");
  if (!output.ok) return refuse(output.reason);
  if (req.push && output.ref.tag === undefined) return refuse(`the signed image can only be pushed to a tag, and ${outputName} names none`, outputName);
  if (sameImage(input.ref, output.ref)) return refuse(`the unsigned image and the signed image are both ${outputName}: the signed image would replace its own input; give them different tags`, outputName);

  const k = req.signingKey;
  if (!k.ok) {
    const keySecret = `keySecret ${sign.keySecret?.name ?? "(unset)"}`;
    const certSecret = `certSecret ${sign.certSecret?.name ?? "(unset)"}`;
    const which = k.problem === "key" ? keySecret : k.problem === "certificate" ? certSecret : `${keySecret} and ${certSecret}`;
    return refuse(`${which}: ${k.reason}`, outputName);
  }
  // The Module's own unsigned image is read with its unsignedImageRegistryTLS; a build's output lives
  // where the build pushed it, beside containerImage, so it is read with the Module's registryTLS.
  const inputTls = req.unsignedImage === undefined || req.unsignedImage === sign.unsignedImage ? sign.unsignedImageRegistryTLS ?? {} : t.registryTLS;
  return {
    ok: true,
    target: t,
    files: files.files,
    input: { ref: input.ref, name: inputName, tls: inputTls },
    output: { ref: output.ref, name: outputName, tls: t.registryTLS },
    key: k.key,
  };
}

async function signTarget(module: Module, req: SignStageRequest, id: Identity, deps: SignStageDeps): Promise<SignStageResult> {
  const badKernel = kernelDirProblem(req.kernel);
  if (badKernel) return { ...id, verificationStatus: "error", reason: badKernel };
  const p = plan(module, req);
  if ("skip" in p) return { ...id, verificationStatus: "true", skipped: true, reason: p.skip };
  if (!p.ok) return { ...id, ...(p.image !== undefined && { image: p.image }), ...p.verdict };

  const at = { mappingIndex: p.target.mappingIndex, image: p.output.name, unsignedImage: p.input.name };
  const hash = req.hash ?? DEFAULT_MODULE_HASH;
  const inOpts: RequestOptions = { tls: p.input.tls, ...(deps.signal && { signal: deps.signal }) };
  const outOpts: RequestOptions = { tls: p.output.tls, ...(deps.signal && { signal: deps.signal }) };

  // Read and sign.
  let built: Awaited<ReturnType<typeof signFiles>>;
  let image: ResolvedImage;
  try {
    image = await deps.registry.getImage(p.input.ref, inOpts);
    built = await signFiles(deps.registry, image, inOpts, p.files, p.key, hash, p.target, req.kernel);
  } catch (err) {
    if (!(err instanceof RegistryError || err instanceof ImageCheckError)) throw err;
    return { ...id, ...at, ...readFailureVerdict(p.input.name, err) };
  }
  if ("verdict" in built) return { ...id, ...at, ...built.verdict };
  const signed = built;

  // The signed image: one more layer.
  const layer = await buildLayer(signed.layerFiles, createdOf(signed.configBytes));
  const appended = appendLayer(
    { manifestBytes: image.manifestBytes, manifestMediaType: image.manifest.mediaType, configBytes: signed.configBytes },
    {
      digest: layer.digest,
      size: layer.blob.length,
      diffId: layer.diffId,
      createdBy: "kmm-preflight sign",
      comment: `signed ${signed.files.length} kernel module${signed.files.length === 1 ? "" : "s"} with ${hash}`,
      annotations: { "org.opencontainers.image.base.name": formatImageReference(image.ref), "org.opencontainers.image.base.digest": image.manifestDigest },
    },
  );
  if (!appended.ok) return { ...id, ...at, verificationStatus: "error", reason: `unsigned image ${p.input.name} cannot be extended: ${appended.reason}` };

  if (req.push) {
    try {
      for (const desc of image.manifest.layers) {
        await deps.registry.pushBlob(p.output.ref, desc, () => deps.registry.openBlob(image.ref, desc, inOpts), { ...outOpts, mountFrom: image.ref });
      }
      await deps.registry.pushBlob(p.output.ref, appended.configDescriptor, appended.config, outOpts);
      await deps.registry.pushBlob(p.output.ref, appended.layerDescriptor, layer.blob, outOpts);
      await deps.registry.putManifest(p.output.ref, appended.manifest, appended.manifestMediaType, outOpts);
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      return { ...id, ...at, digest: appended.manifestDigest, ...pushFailureVerdict(p.output.name, err) };
    }
  }
  const verdict = signedVerdict({
    files: signed.files,
    replaced: signed.replaced,
    hash,
    signer: p.key.subject,
    input: p.input.name,
    output: p.output.name,
    digest: appended.manifestDigest,
    pushed: req.push,
  });
  return { ...id, ...at, digest: appended.manifestDigest, signedFiles: signed.files, pushed: req.push, ...verdict };
}

/** Reads every file to sign from the image's layers and signs it; reads the config too. */
async function signFiles(
  registry: SignRegistry,
  image: ResolvedImage,
  opts: RequestOptions,
  files: readonly FileToSign[],
  key: SigningKey,
  hash: ModuleHash,
  target: ModuleTarget,
  kernel: string,
): Promise<{ verdict: SignVerdict } | { layerFiles: LayerFile[]; files: string[]; replaced: string[]; configBytes: Buffer }> {
  const layers = layersOf(registry, image, opts);
  const found: { file: FileToSign; body: Buffer; mode: number; writePath: string }[] = [];
  const missing: string[] = [];
  for (const file of files) {
    const f = await readResolvedFileFromLayers(layers, file.path, { maxBytes: MAX_MODULE_BYTES });
    if (!f) missing.push(file.given);
    else found.push({ file, body: f.body, mode: f.resolved.mode ?? 0o644, writePath: await writePathOf(layers, file.path, f.resolved.path) });
  }
  if (missing.length) {
    const kernelDir = joinImagePath(joinImagePath(target.dirName.replace(/^\/+/, ""), "lib/modules"), kernel);
    const listing = await listDirectory(layers, kernelDir, MAX_LISTED);
    return { verdict: missingFilesVerdict(missing, formatImageReference(image.ref), `/${kernelDir}/`, listing) };
  }

  const layerFiles: LayerFile[] = [];
  const replaced: string[] = [];
  const written = new Set<string>();
  for (const { file, body, mode, writePath } of found) {
    const r = signKernelModule(body, key, hash);
    if (!r.ok) return { verdict: { verificationStatus: "false", reason: `${file.given} in ${formatImageReference(image.ref)} ${r.reason}` } };
    if (r.replacedSignatures > 0) replaced.push(file.given);
    if (!written.has(writePath)) layerFiles.push({ path: writePath, body: r.signed, mode });
    written.add(writePath);
  }
  const configBytes = await readConfig(registry, image, opts);
  return { layerFiles, files: found.map((f) => f.file.given), replaced, configBytes };
}

/**
 * Where the signed file goes in the new layer. Without links on the way, the path itself. Otherwise
 * the path's name inside the real parent directory: a layer entry below a symlinked directory would
 * replace the symlink with a directory, and writing the link's target instead would leave a hardlinked
 * name (what modprobe opens) unsigned.
 */
async function writePathOf(layers: readonly LayerSource[], path: string, resolvedPath: string): Promise<string> {
  if (resolvedPath === path) return path;
  const parent = await resolvePathInLayers(layers, dirnameOf(path));
  return joinImagePath(parent?.type === "directory" ? parent.path : dirnameOf(path), basenameOf(path));
}

async function readConfig(registry: SignRegistry, image: ResolvedImage, opts: RequestOptions): Promise<Buffer> {
  const desc = image.manifest.config;
  if (desc.size > MAX_MANIFEST_BYTES) throw new RegistryError({ kind: "Unsupported", message: `${formatImageReference(image.ref)}: its config is larger than ${MAX_MANIFEST_BYTES} bytes` });
  const chunks: Buffer[] = [];
  for await (const c of await registry.openBlob(image.ref, desc, opts)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
