// Pure handling of the four manifest formats a registry serves for an image, and platform selection in
// an index. Parsing reports Corrupt or Unsupported instead of throwing; the client turns that into a RegistryError.
import { createHash } from "node:crypto";
import { isObject } from "../util/is-object.js";

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestV1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerManifestV1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

const INDEX_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);
const IMAGE_TYPES: ReadonlySet<string> = new Set([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);

/** The Accept header for manifests: without the Docker v2 type, distribution 2.x converts to schema 1. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(", ");

/** Digests we can verify. */
export const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export interface ImageManifest {
  readonly mediaType: string;
  readonly config: Descriptor;
  /** Bottom layer first. */
  readonly layers: readonly Descriptor[];
}

export interface IndexEntry extends Descriptor {
  readonly platform?: Platform;
}

export type ParsedManifest =
  | { readonly ok: true; readonly kind: "index"; readonly mediaType: string; readonly manifests: readonly IndexEntry[] }
  | { readonly ok: true; readonly kind: "image"; readonly manifest: ImageManifest }
  | { readonly ok: false; readonly problem: "Corrupt" | "Unsupported"; readonly reason: string };

/** `sha256:<hex>` (or sha512) of exactly these bytes. */
export function digestOf(bytes: Uint8Array, algorithm: "sha256" | "sha512" = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** The algorithm of a digest we can verify, or undefined. */
export function digestAlgorithm(digest: string): "sha256" | "sha512" | undefined {
  if (!DIGEST_PATTERN.test(digest)) return undefined;
  return digest.startsWith("sha512:") ? "sha512" : "sha256";
}

type Checked<T> = { ok: true; value: T } | { ok: false; problem: "Corrupt" | "Unsupported"; reason: string };

function parseDescriptor(v: unknown, where: string): Checked<Descriptor> {
  if (!isObject(v)) return { ok: false, problem: "Corrupt", reason: `${where} is not an object` };
  const { mediaType, digest, size, annotations } = v;
  if (typeof digest !== "string") return { ok: false, problem: "Corrupt", reason: `${where}.digest is missing` };
  if (!DIGEST_PATTERN.test(digest)) {
    return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest) && !/^sha(256|512):/.test(digest)
      ? { ok: false, problem: "Unsupported", reason: `${where}.digest ${JSON.stringify(digest)} uses an algorithm other than sha256 or sha512` }
      : { ok: false, problem: "Corrupt", reason: `${where}.digest ${JSON.stringify(digest)} is not a valid digest` };
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) return { ok: false, problem: "Corrupt", reason: `${where}.size must be a non-negative integer` };
  if (mediaType !== undefined && typeof mediaType !== "string") return { ok: false, problem: "Corrupt", reason: `${where}.mediaType must be a string` };
  const ann = isObject(annotations) ? Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === "string")) : undefined;
  return { ok: true, value: { mediaType: mediaType ?? "", digest, size, ...(ann && Object.keys(ann).length > 0 && { annotations: ann }) } };
}

function parsePlatformField(v: unknown): Platform | undefined {
  if (!isObject(v) || typeof v["os"] !== "string" || typeof v["architecture"] !== "string") return undefined;
  return { os: v["os"], architecture: v["architecture"], ...(typeof v["variant"] === "string" && v["variant"] !== "" && { variant: v["variant"] }) };
}

/**
 * Parses manifest bytes. The media type comes from Content-Type when it names a manifest type, else from
 * the body's `mediaType`, else from its shape (OCI allows omitting it).
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    return { ok: false, problem: "Corrupt", reason: "the manifest is not valid JSON" };
  }
  if (!isObject(body)) return { ok: false, problem: "Corrupt", reason: "the manifest is not a JSON object" };
  const header = contentType?.split(";")[0]?.trim().toLowerCase();
  const declared = typeof body["mediaType"] === "string" ? body["mediaType"] : undefined;
  if (body["schemaVersion"] === 1 || header === MEDIA_TYPES.dockerManifestV1 || header === MEDIA_TYPES.dockerManifestV1Signed) {
    return { ok: false, problem: "Unsupported", reason: "Docker schema 1 manifests are not supported; push the image again with a current client" };
  }
  let mediaType =
    header && (INDEX_TYPES.has(header) || IMAGE_TYPES.has(header)) ? header : declared ?? (Array.isArray(body["manifests"]) ? MEDIA_TYPES.ociIndex : "config" in body ? MEDIA_TYPES.ociManifest : undefined);
  if (mediaType === undefined) return { ok: false, problem: "Unsupported", reason: `the registry answered with ${header ? `media type ${header}` : "a document"} that is not an image manifest or index` };
  mediaType = mediaType.toLowerCase();

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(body["manifests"])) return { ok: false, problem: "Corrupt", reason: "the index has no manifests list" };
    const manifests: IndexEntry[] = [];
    for (const [i, m] of body["manifests"].entries()) {
      const d = parseDescriptor(m, `manifests[${i}]`);
      if (!d.ok) return { ok: false, problem: d.problem, reason: d.reason };
      const platform = parsePlatformField((m as Record<string, unknown>)["platform"]);
      manifests.push({ ...d.value, ...(platform && { platform }) });
    }
    return { ok: true, kind: "index", mediaType, manifests };
  }
  if (IMAGE_TYPES.has(mediaType)) {
    const config = parseDescriptor(body["config"], "config");
    if (!config.ok) return { ok: false, problem: config.problem, reason: config.reason };
    if (!Array.isArray(body["layers"])) return { ok: false, problem: "Corrupt", reason: "the manifest has no layers list" };
    const layers: Descriptor[] = [];
    for (const [i, l] of body["layers"].entries()) {
      const d = parseDescriptor(l, `layers[${i}]`);
      if (!d.ok) return { ok: false, problem: d.problem, reason: d.reason };
      layers.push(d.value);
    }
    return { ok: true, kind: "image", manifest: { mediaType, config: config.value, layers } };
  }
  return { ok: false, problem: "Unsupported", reason: `media type ${mediaType} is not an image manifest or index` };
}

// containerd's normalization: the default variant of an architecture equals no variant.
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: "v8", arm: "v7", amd64: "v1" };
const ARCH_ALIASES: Readonly<Record<string, string>> = { x86_64: "amd64", "x86-64": "amd64", aarch64: "arm64", armhf: "arm", armel: "arm" };

/** `linux/arm64/v8` → {os, architecture, variant}; undefined if it does not have two or three parts. */
export function parsePlatform(s: string): Platform | undefined {
  const parts = s.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) return undefined;
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] !== undefined && { variant: parts[2] }) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

function normalizePlatform(p: Platform): { os: string; architecture: string; variant: string } {
  const architecture = ARCH_ALIASES[p.architecture.toLowerCase()] ?? p.architecture.toLowerCase();
  return { os: p.os.toLowerCase(), architecture, variant: (p.variant ?? DEFAULT_VARIANT[architecture] ?? "").toLowerCase() };
}

/**
 * The entry of an index for `want`: os and architecture must match; the variant must match when `want`
 * has one (a missing variant counts as the architecture's default, so arm64 ≡ arm64/v8). Without a wanted
 * variant, the default variant is preferred, then the first entry. Entries without a platform never match.
 */
export function selectPlatform(entries: readonly IndexEntry[], want: Platform): IndexEntry | undefined {
  const w = normalizePlatform(want);
  const candidates = entries.filter((e) => {
    if (!e.platform) return false;
    const p = normalizePlatform(e.platform);
    return p.os === w.os && p.architecture === w.architecture;
  });
  if (want.variant !== undefined) return candidates.find((e) => normalizePlatform(e.platform!).variant === w.variant);
  return candidates.find((e) => normalizePlatform(e.platform!).variant === w.variant) ?? candidates[0];
}
