import type { RegistryClient, ResolvedImage } from "../registry/index.js";
import type { LayerSource } from "./layered-fs.js";

/** An image's layers (bottom first, as in the manifest), each opened from the registry only when the walk reaches it. */
export const layersOf = (client: RegistryClient, image: ResolvedImage): LayerSource[] =>
  image.manifest.layers.map((desc) => ({ digest: desc.digest, open: () => client.openBlob(image.ref, desc) }));
