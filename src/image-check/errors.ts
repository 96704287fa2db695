/**
 * A closed set of reasons why reading an image's layers failed, each built by its own constructor
 * (style 1.2). Errors from `LayerSource.open()` and from the blob stream itself (a registry error,
 * a digest mismatch) are passed through unchanged, so the registry's own retry classification
 * survives; only what this module detects becomes an ImageCheckError.
 *
 * - `Corrupt`: the decompressor or the tar reader rejected the bytes (retrying will not help).
 * - `Unsupported`: a well-formed layer this process cannot read (zstd on an old Node, xz, bzip2).
 * - `TooLarge`: a file body asked for is larger than the caller's cap.
 * - `LinkLoop`: resolving symlinks or hardlinks took more than {@link MAX_LINK_HOPS} steps.
 */
export type ImageCheckErrorKind = "Corrupt" | "Unsupported" | "TooLarge" | "LinkLoop";

/** As Linux's MAXSYMLINKS. */
export const MAX_LINK_HOPS = 40;

export class ImageCheckError extends Error {
  override readonly name = "ImageCheckError";

  constructor(
    readonly kind: ImageCheckErrorKind,
    /** Lowercase detail without the layer, e.g. `gzip: incorrect header check`. */
    readonly detail: string,
    /** The layer being read, when known. */
    readonly layerDigest?: string,
    options?: { cause?: unknown },
  ) {
    super(`${layerDigest ? `layer ${layerDigest}: ` : ""}${kind}: ${detail}`, options);
  }

  /** The same error, attributed to a layer (kept as is when it already names one). */
  inLayer(digest: string): ImageCheckError {
    return this.layerDigest ? this : new ImageCheckError(this.kind, this.detail, digest, { cause: this.cause });
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const corrupt = (detail: string, cause?: unknown) =>
  new ImageCheckError("Corrupt", cause === undefined ? detail : `${detail}: ${messageOf(cause)}`, undefined, { cause });
export const unsupported = (detail: string) => new ImageCheckError("Unsupported", detail);
export const tooLarge = (path: string, size: number, max: number) =>
  new ImageCheckError("TooLarge", `${path}: ${size} bytes is more than the ${max} bytes allowed`);
export const linkLoop = (path: string) =>
  new ImageCheckError("LinkLoop", `${path}: more than ${MAX_LINK_HOPS} symlinks or hardlinks to follow`);

export function isImageCheckError(err: unknown, kind?: ImageCheckErrorKind): err is ImageCheckError {
  return err instanceof ImageCheckError && (kind === undefined || err.kind === kind);
}
