import { linkLoop, MAX_LINK_HOPS } from "./errors.js";
import {
  basenameOf,
  isAtOrBelow,
  isBelow,
  joinImagePath,
  resolveImagePath,
  resolveSymlinkTarget,
} from "./layer-path.js";
import type { OpenLayerOptions } from "./layer-stream.js";
import { resolvePathInLayers, walkLayers, type LayerSource } from "./layered-fs.js";

export interface KernelModuleQuery {
  /** The Module's `modprobe.dirName`; the caller applies KMM's "/opt" default. "/" is the image root. */
  readonly dirName: string;
  /** The exact name of the kernel's directory under `lib/modules/`, e.g. `5.14.0-284.el9.x86_64`. */
  readonly kernel: string;
  /** The Module's `modprobe.moduleName`, without suffix; `-` and `_` are the same to modprobe. */
  readonly moduleName: string;
}

export type KernelModuleSearch =
  | {
      readonly found: true;
      /** The image path of the module file (no leading `/`). */
      readonly path: string;
      /** The layer holding it. */
      readonly layerDigest: string;
      /** When the module was reached through a symlink named like it: the symlink's path. */
      readonly linkedFrom?: string;
    }
  | {
      readonly found: false;
      /** Sorted names under `<dirName>/lib/modules/` that the image shows (at most MAX_KERNEL_DIRS). */
      readonly kernelDirs: string[];
      /** Sorted paths, relative to the kernel's directory, of other modules there (at most MAX_CANDIDATES). */
      readonly candidates?: string[];
    };

export interface FindKernelModuleOptions {
  readonly layerOptions?: OpenLayerOptions;
}

/** The file-name endings modprobe (kmod) accepts for a module. */
export const MODULE_SUFFIXES = [".ko", ".ko.xz", ".ko.gz", ".ko.zst"] as const;
export const MAX_KERNEL_DIRS = 100;
export const MAX_CANDIDATES = 10;
/** Symlinks named like the module that are checked (each costs a walk) when no file matched. */
const MAX_LINKED_MATCHES = 4;

/** Pure: `foo-bar.ko.xz` → `foo-bar`; undefined for a name that is not a module file. */
export function moduleNameOf(fileName: string): string | undefined {
  for (const suffix of MODULE_SUFFIXES) {
    if (fileName.length > suffix.length && fileName.endsWith(suffix)) return fileName.slice(0, -suffix.length);
  }
  return undefined;
}

/** Pure: the spelling modprobe compares, with every `-` read as `_`. */
export const canonicalModuleName = (name: string): string => name.replaceAll("-", "_");

/**
 * Looks for the module the way modprobe would find it: a file named `<moduleName>` plus one of
 * MODULE_SUFFIXES anywhere below `<dirName>/lib/modules/<kernel>/` (`extra/`, `updates/`,
 * `kernel/drivers/...`), `-` and `_` alike, in the image's merged filesystem (whiteouts and opaque
 * directories respected). Layers are read from the top down and the search stops at the first
 * visible match, so lower layers are not even opened.
 *
 * Symlinks on the way to the kernel's directory (or the directory itself being one) are followed,
 * restarting the walk; a symlink named like the module counts when it leads to a visible file.
 *
 * Throws RangeError for a kernel or module name that is not a single path component (the caller
 * validates them first); ImageCheckError and the layer source's own errors as walkLayers does.
 */
export async function findKernelModule(
  layers: readonly LayerSource[],
  query: KernelModuleQuery,
  options: FindKernelModuleOptions = {},
): Promise<KernelModuleSearch> {
  checkName("kernel", query.kernel);
  checkName("moduleName", query.moduleName);
  const want = canonicalModuleName(query.moduleName);
  let modulesDir = resolveImagePath("", joinImagePath(query.dirName, "lib/modules"));
  let kernelDir = joinImagePath(modulesDir, query.kernel);

  const visited = new Set<string>();
  for (let hops = 0; ; hops++) {
    const key = `${modulesDir}\0${kernelDir}`;
    if (hops > MAX_LINK_HOPS || visited.has(key)) throw linkLoop(kernelDir);
    visited.add(key);
    const kernelDirs = new Set<string>();
    const candidates: string[] = [];
    const linked: string[] = [];
    let found: { path: string; layerDigest: string } | undefined;
    let redirect: { modulesDir: string; kernelDir: string } | undefined;

    await walkLayers(
      layers,
      (e) => {
        if (e.type === "symlink" && e.linkTarget && isAtOrBelow(kernelDir, e.path)) {
          const link = { path: e.path, target: e.linkTarget };
          redirect = { modulesDir: followLink(modulesDir, link), kernelDir: followLink(kernelDir, link) };
          return "stop";
        }
        if (isBelow(e.path, modulesDir) && kernelDirs.size < MAX_KERNEL_DIRS) {
          const rel = modulesDir === "" ? e.path : e.path.slice(modulesDir.length + 1);
          const slash = rel.indexOf("/");
          if (slash >= 0) kernelDirs.add(rel.slice(0, slash));
          else if (e.type === "directory" || e.type === "symlink") kernelDirs.add(rel);
        }
        if (!isBelow(e.path, kernelDir) || e.type === "directory") return undefined;
        const name = moduleNameOf(basenameOf(e.path));
        if (name === undefined) return undefined;
        if (canonicalModuleName(name) !== want) {
          if (candidates.length < MAX_CANDIDATES) candidates.push(e.path.slice(kernelDir.length + 1));
          return undefined;
        }
        if (e.type === "file" || e.type === "hardlink") {
          found = { path: e.path, layerDigest: e.layerDigest };
          return "stop";
        }
        if (e.type === "symlink" && linked.length < MAX_LINKED_MATCHES) linked.push(e.path);
        return undefined;
      },
      { scope: [modulesDir, kernelDir], ...options },
    );

    if (found) return { found: true, ...(found as { path: string; layerDigest: string }) };
    if (redirect) {
      ({ modulesDir, kernelDir } = redirect as { modulesDir: string; kernelDir: string });
      continue;
    }
    for (const path of linked) {
      const target = await resolvePathInLayers(layers, path, options);
      if (target?.type === "file") return { found: true, path: target.path, layerDigest: target.layerDigest, linkedFrom: path };
    }
    return {
      found: false,
      kernelDirs: [...kernelDirs].sort(),
      ...(candidates.length ? { candidates: candidates.sort() } : {}),
    };
  }
}

/** Where `dir` really is when the symlink `link` lies at or above it. */
function followLink(dir: string, link: { path: string; target: string }): string {
  if (dir === link.path) return resolveSymlinkTarget(link.path, link.target);
  if (isBelow(dir, link.path)) return resolveSymlinkTarget(link.path, `${link.target}/${dir.slice(link.path.length + 1)}`);
  return dir;
}

function checkName(field: string, value: string) {
  if (value === "" || value === "." || value === ".." || value.includes("/") || value.includes("\0")) {
    throw new RangeError(`${field} must be a single path component, got ${JSON.stringify(value)}`);
  }
}
