/**
 * Paths inside an image, as this module compares them: relative to the image root, `/`-separated,
 * with no leading `/` or `./`, no empty, `.` or `..` components and no trailing `/`. The root is "".
 * Pure functions only.
 */

/** The whiteout prefix of the OCI image spec (layer.md, "Whiteouts"). */
export const WHITEOUT_PREFIX = ".wh.";
/** The opaque-directory marker: hides the lower layers' contents of the directory it sits in. */
export const OPAQUE_WHITEOUT = ".wh..wh..opq";

/**
 * A tar entry name as an image path, or undefined for a name that climbs above the root
 * (`../../etc/passwd`): container runtimes refuse such entries (containers/storage fails the layer
 * with a "breakout" error), so they are never part of a running image. `a/./b`, `a//b`, `./a/`,
 * `/a` and `a/x/../b` become `a/b`, `a`, `a` and `a/b`, as `filepath.Clean` makes them for the
 * runtime. The archive root itself (`./`, `/`) is "".
 */
export function normalizeLayerPath(name: string): string | undefined {
  // Fast path for the common, already clean, name.
  if (!/(^|\/)\.{0,2}(\/|$)/.test(name)) return name;
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}

/**
 * Joins `rel` onto the image path `base` the way the kernel resolves a path inside a container
 * root: an absolute `rel` starts again from the root, and `..` at the root stays at the root.
 */
export function resolveImagePath(base: string, rel: string): string {
  const parts = rel.startsWith("/") || base === "" ? [] : base.split("/");
  for (const part of rel.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/** Where a symlink at `linkPath` with target `target` points, as an image path. */
export const resolveSymlinkTarget = (linkPath: string, target: string): string => resolveImagePath(dirnameOf(linkPath), target);

/** `a/b/c` → `a/b`; `a` → "" (the root); "" → "". */
export function dirnameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** `a/b/c` → `c`. */
export function basenameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export const joinImagePath = (dir: string, name: string): string => (dir === "" ? name : name === "" ? dir : `${dir}/${name}`);

/** True when `path` lies strictly below `dir` (every path lies below the root ""). */
export function isBelow(path: string, dir: string): boolean {
  if (dir === "") return path !== "";
  return path.length > dir.length && path.charCodeAt(dir.length) === 0x2f && path.startsWith(dir);
}

/** True when `path` is `dir` or lies below it. */
export const isAtOrBelow = (path: string, dir: string): boolean => path === dir || isBelow(path, dir);

/** What a tar entry name means to the OCI layer format. */
export type WhiteoutKind =
  | { kind: "entry" }
  /** Hides `target` (a file, or a directory with everything below it) in the lower layers. */
  | { kind: "whiteout"; target: string }
  /** Hides everything below `dir` in the lower layers; `dir` itself stays. */
  | { kind: "opaque"; dir: string }
  /** AUFS bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not part of the filesystem. */
  | { kind: "metadata" };

/** Classifies a normalised path by its last component. */
export function classifyWhiteout(path: string): WhiteoutKind {
  const base = basenameOf(path);
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: "entry" };
  if (base === OPAQUE_WHITEOUT) return { kind: "opaque", dir: dirnameOf(path) };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: "metadata" };
  const target = base.slice(WHITEOUT_PREFIX.length);
  // ".wh." alone, ".wh.." or ".wh..." would name nothing (or a parent): ignore them.
  if (target === "" || target === "." || target === "..") return { kind: "metadata" };
  return { kind: "whiteout", target: joinImagePath(dirnameOf(path), target) };
}

/** A name that must be one path component: it becomes part of a path inside the image. */
export const isPathComponent = (v: unknown): v is string => typeof v === "string" && v !== "" && v !== "." && v !== ".." && !v.includes("/");

/** Why `kernel` cannot name its `lib/modules/<kernel>` directory in an image, if it cannot. */
export const kernelDirProblem = (kernel: string): string | undefined =>
  isPathComponent(kernel) ? undefined : `kernel ${JSON.stringify(kernel)} is not a kernel version (it names a directory under lib/modules/)`;
