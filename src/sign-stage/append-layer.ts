import { MEDIA_TYPES, digestOf, type Descriptor } from "../registry/index.js";
import { isObject } from "../util/is-object.js";

// The signed image from the unsigned one (pure): the same manifest and config, every field kept, with
// one more layer on top. The config's rootfs.diff_ids gets the new layer's diff ID and, when the image
// records a history, one entry for it; the manifest points at the new config and lists the new layer,
// in the media-type family of the input (OCI or Docker v2).

export interface ImageToExtend {
  /** The image manifest exactly as the registry served it. */
  readonly manifestBytes: Buffer;
  readonly manifestMediaType: string;
  readonly configBytes: Buffer;
}

export interface LayerToAppend {
  readonly digest: string;
  readonly size: number;
  readonly diffId: string;
  /** The history entry's created_by and comment. */
  readonly createdBy: string;
  readonly comment?: string;
  /** OCI manifests only: annotations merged over the input's (e.g. the base image). */
  readonly annotations?: Readonly<Record<string, string>>;
}

export type AppendedImage =
  | {
      readonly ok: true;
      readonly manifest: Buffer;
      readonly manifestDigest: string;
      readonly manifestMediaType: string;
      readonly config: Buffer;
      readonly configDescriptor: Descriptor;
      readonly layerDescriptor: Descriptor;
    }
  | { readonly ok: false; readonly reason: string };

/** The layer media type that goes with a manifest media type: gzip tar, in the manifest's family. */
export function gzipLayerMediaType(manifestMediaType: string): string | undefined {
  if (manifestMediaType === MEDIA_TYPES.ociManifest) return MEDIA_TYPES.ociLayerGzip;
  if (manifestMediaType === MEDIA_TYPES.dockerManifest) return MEDIA_TYPES.dockerLayerGzip;
  return undefined;
}

function parseObject(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(bytes.toString("utf8"));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The image's creation time from its config (the signed files' mtime, so signing is reproducible); the epoch when it has none. */
export function createdOf(configBytes: Buffer): Date {
  const created = parseObject(configBytes)?.["created"];
  const t = typeof created === "string" ? Date.parse(created) : Number.NaN;
  return new Date(Number.isNaN(t) ? 0 : t);
}

export function appendLayer(image: ImageToExtend, layer: LayerToAppend): AppendedImage {
  const layerMediaType = gzipLayerMediaType(image.manifestMediaType);
  if (!layerMediaType) return { ok: false, reason: `its manifest is of media type ${image.manifestMediaType}, not an OCI or Docker v2 image manifest` };
  const manifest = parseObject(image.manifestBytes);
  if (!manifest || !isObject(manifest["config"]) || !Array.isArray(manifest["layers"])) return { ok: false, reason: "its manifest has no config or layers" };
  const config = parseObject(image.configBytes);
  const rootfs = config?.["rootfs"];
  if (!config || !isObject(rootfs) || !Array.isArray(rootfs["diff_ids"])) return { ok: false, reason: "its config has no rootfs.diff_ids" };

  const history = config["history"];
  const created = typeof config["created"] === "string" ? config["created"] : undefined;
  const newConfig = {
    ...config,
    rootfs: { ...rootfs, diff_ids: [...rootfs["diff_ids"], layer.diffId] },
    // Without a history there is nothing to extend: one entry for N+1 layers would contradict the layers.
    ...(Array.isArray(history) && {
      history: [...history, { ...(created !== undefined && { created }), created_by: layer.createdBy, ...(layer.comment !== undefined && { comment: layer.comment }) }],
    }),
  };
  const configBytes = Buffer.from(JSON.stringify(newConfig));
  const configDescriptor: Descriptor = { ...(manifest["config"] as unknown as Descriptor), digest: digestOf(configBytes), size: configBytes.length };
  const layerDescriptor: Descriptor = { mediaType: layerMediaType, digest: layer.digest, size: layer.size };
  const annotations = image.manifestMediaType === MEDIA_TYPES.ociManifest && layer.annotations ? { ...(isObject(manifest["annotations"]) ? manifest["annotations"] : {}), ...layer.annotations } : undefined;
  const newManifest = Buffer.from(
    JSON.stringify({ ...manifest, config: configDescriptor, layers: [...manifest["layers"], layerDescriptor], ...(annotations && { annotations }) }),
  );
  return {
    ok: true,
    manifest: newManifest,
    manifestDigest: digestOf(newManifest),
    manifestMediaType: image.manifestMediaType,
    config: configBytes,
    configDescriptor,
    layerDescriptor,
  };
}
