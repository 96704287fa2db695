import type { RegistryClient, RequestOptions, ResolvedImage } from "../registry/index.js";
import type { LayerSource } from "./layered-fs.js";

/** What reading images needs of a registry client. */
export type ImageRegistry = Pick<RegistryClient, "getImage" | "openBlob">;

/**
 * An image's layers (bottom first, as in the manifest), each opened from the registry only when the walk
 * reaches it, with the request options (TLS) the image was resolved with.
 */
export const layersOf = (registry: ImageRegistry, image: ResolvedImage, opts: RequestOptions = {}): LayerSource[] =>
  image.manifest.layers.map((desc) => ({ digest: desc.digest, open: () => registry.openBlob(image.ref, desc, opts) }));
