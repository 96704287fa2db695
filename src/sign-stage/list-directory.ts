import { isBelow } from "../image-check/layer-path.js";
import { walkLayers, type LayerSource } from "../image-check/layered-fs.js";
import type { DirectoryListing } from "./sign-verdict.js";

/**
 * What the image's merged filesystem shows below `dir` (an image path): files, symlinks and the like,
 * relative to `dir`, at most `max` of them; undefined when nothing is there, not even the directory.
 */
export async function listDirectory(layers: readonly LayerSource[], dir: string, max: number): Promise<DirectoryListing | undefined> {
  const files: string[] = [];
  let exists = false;
  let truncated = false;
  await walkLayers(
    layers,
    (e) => {
      if (e.path === dir) {
        exists = true;
        return undefined;
      }
      if (!isBelow(e.path, dir)) return undefined;
      exists = true;
      if (e.type === "directory") return undefined;
      if (files.length >= max) {
        truncated = true;
        return "stop";
      }
      files.push(e.path.slice(dir.length + 1));
      return undefined;
    },
    { scope: [dir] },
  );
  return exists ? { files: files.sort(), truncated } : undefined;
}
