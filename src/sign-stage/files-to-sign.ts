import { isBelow, resolveImagePath } from "../image-check/layer-path.js";

// The Module's filesToSign (merged and substituted) as image paths, each checked to lie below
// modprobe.dirName as upstream KMM requires (on normalised paths: `/opt/../etc/x` is not below `/opt`).
// Pure.

export interface FileToSign {
  /** As the Module writes it (after substitution), for messages. */
  readonly given: string;
  /** The image path, without a leading `/`. */
  readonly path: string;
}

export type FilesToSign = { readonly ok: true; readonly files: readonly FileToSign[] } | { readonly ok: false; readonly reason: string };

export function filesToSign(files: readonly string[], dirName: string): FilesToSign {
  if (files.length === 0) return { ok: false, reason: "the sign section lists no filesToSign: there is nothing to sign" };
  const dir = resolveImagePath("", dirName);
  const outside = files.filter((f) => !f.startsWith("/") || !isBelow(resolveImagePath("", f), dir));
  if (outside.length) {
    return { ok: false, reason: `filesToSign must lie below modprobe.dirName ${dirName}/: ${outside.map((f) => JSON.stringify(f)).join(", ")} ${outside.length === 1 ? "does" : "do"} not` };
  }
  // The same file listed twice is signed once.
  const seen = new Set<string>();
  const unique: FileToSign[] = [];
  for (const given of files) {
    const path = resolveImagePath("", given);
    if (!seen.has(path)) unique.push({ given, path });
    seen.add(path);
  }
  return { ok: true, files: unique };
}
