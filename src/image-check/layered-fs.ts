import type { Readable } from "node:stream";
import { extract as tarExtract, type Header } from "tar-stream";
import { corrupt, ImageCheckError, linkLoop, MAX_LINK_HOPS, tooLarge } from "./errors.js";
import {
  classifyWhiteout,
  isAtOrBelow,
  isBelow,
  normalizeLayerPath,
  resolveImagePath,
  resolveSymlinkTarget,
} from "./layer-path.js";
import { openLayerTar, type OpenLayerOptions } from "./layer-stream.js";

/** One layer of an image: its digest (for messages) and how to fetch its compressed blob. */
export interface LayerSource {
  readonly digest: string;
  /** The compressed blob, streamed. Called at most once per walk, and only when the walk gets there. */
  open(): Promise<Readable>;
}

/** `hardlink` is tar's link to an earlier entry; `other` covers devices and fifos. */
export type LayerEntryType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface LayerEntry {
  /** The normalised image path (see layer-path.ts): no leading `/` or `./`, no trailing `/`. */
  readonly path: string;
  readonly type: LayerEntryType;
  /** The body size the tar header declares (0 for anything but files). */
  readonly size: number;
  /** Permission bits from the tar header (e.g. 0o644). */
  readonly mode: number;
  /** The raw link target of a symlink or hardlink, as the tar header has it. */
  readonly linkTarget?: string;
  /** Index into the layer list (0 is the bottom layer). */
  readonly layerIndex: number;
  readonly layerDigest: string;
  /**
   * The body, at most `maxReadBytes` (a `TooLarge` error otherwise). Only valid until the visit
   * returns (or its promise settles): the walk drains the body after that.
   */
  read(): Promise<Buffer>;
}

/** Returns "stop" to end the walk (the open layer's streams are destroyed). */
export type LayerVisitor = (entry: LayerEntry) => "stop" | void | Promise<"stop" | void>;

export interface WalkOptions {
  /**
   * Image paths the visitor cares about. Only entries at or below one of them, or on the way to
   * one (their ancestor directories, so symlinked directories can be noticed), are visited and
   * remembered; and once the layers read so far hide everything below every scope path from the
   * layers still to read (whiteouts, opaque directories, a non-directory in the way), the walk
   * ends without opening them.
   * @default [""] (the whole image)
   */
  readonly scope?: readonly string[];
  /** The most `entry.read()` returns. @default DEFAULT_MAX_READ_BYTES (16 MiB) */
  readonly maxReadBytes?: number;
  /** Passed to openLayerTar. */
  readonly layerOptions?: OpenLayerOptions;
}

export const DEFAULT_MAX_READ_BYTES = 16 * 1024 * 1024;

export interface WalkSummary {
  /** How many layers were opened (from the top). */
  readonly layersOpened: number;
  /** `visitor`: it said "stop"; `hidden`: nothing in scope could show through lower layers; `complete`: all layers read. */
  readonly ended: "visitor" | "hidden" | "complete";
}

/**
 * Walks an image's merged filesystem from the top layer down (layers are listed bottom first, as
 * in the manifest), visiting each visible path once, in its topmost version:
 *
 * - `.wh.<name>` hides `<name>` (and everything below it) in the lower layers; `.wh..wh..opq`
 *   in directory D hides everything below D in the lower layers. Both apply to lower layers only:
 *   entries of the same layer stay. Whiteout entries themselves are not visited.
 * - A path already visited in an upper layer is shadowed; a non-directory in an upper layer hides
 *   the lower layers' entries below it (a file replacing a directory). Within one layer a path that
 *   appears twice is visited the first time only (as go-containerregistry's mutate.Extract).
 * - Names that climb above the root (`../x`) are skipped; the root entry itself is not visited.
 *
 * Layers are opened one at a time, only when reached; bodies that are not read are drained without
 * being buffered. Errors of `open()` and of the blob stream propagate unchanged; decompression and
 * tar errors become `Corrupt` errors naming the layer.
 */
export async function walkLayers(
  layers: readonly LayerSource[],
  visit: LayerVisitor,
  options: WalkOptions = {},
): Promise<WalkSummary> {
  const scope = new Scope(options.scope ?? [""]);
  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  const mask = new LowerLayerMask();
  const seen = new Set<string>();
  let layersOpened = 0;

  for (let layerIndex = layers.length - 1; layerIndex >= 0; layerIndex--) {
    if (scope.roots.every((root) => mask.hidesBelow(root))) return { layersOpened, ended: "hidden" };
    const layer = layers[layerIndex]!;
    const delta = new LowerLayerMask();
    layersOpened++;
    const outcome = await scanLayer(layer, options.layerOptions, async (header, body) => {
      const path = normalizeLayerPath(header.name);
      if (path === undefined || path === "") return false;
      const meaning = classifyWhiteout(path);
      if (meaning.kind === "whiteout") {
        if (scope.includes(meaning.target)) delta.subtrees.add(meaning.target);
        return false;
      }
      if (meaning.kind === "opaque") {
        if (scope.includes(meaning.dir)) delta.below.add(meaning.dir);
        return false;
      }
      if (meaning.kind === "metadata" || !scope.includes(path) || seen.has(path) || mask.hides(path)) return false;

      seen.add(path);
      const type = entryTypeOf(header);
      if (type !== "directory") delta.below.add(path);
      const entry = new VisitedEntry(path, type, header, layerIndex, layer.digest, body, maxReadBytes);
      try {
        return (await visit(entry)) === "stop";
      } finally {
        entry.close();
      }
    });
    if (outcome === "stopped") return { layersOpened, ended: "visitor" };
    mask.add(delta);
  }
  return { layersOpened, ended: "complete" };
}

export interface ReadFileOptions {
  /** The largest body returned; a larger file is a `TooLarge` error. @default DEFAULT_MAX_READ_BYTES */
  readonly maxBytes?: number;
  readonly layerOptions?: OpenLayerOptions;
}

/** What a path in the merged filesystem is, after following symlinks and hardlinks. */
export interface ResolvedPath {
  /** Where the entry really is (differs from the path asked for when links were followed). */
  readonly path: string;
  readonly type: Exclude<LayerEntryType, "symlink" | "hardlink">;
  readonly size: number;
  /** Permission bits of the entry found; absent for a directory known only from what lies below it. */
  readonly mode?: number;
  readonly layerIndex: number;
  readonly layerDigest: string;
}

/**
 * The topmost visible version of the file at `path` (read from the top layer down, stopping as
 * soon as it is found), or undefined when there is no such file (missing, whited out, a directory,
 * a device, or a dangling link).
 *
 * Symlinks are followed, in the last component and in the directories on the way, as the kernel
 * would inside the container (absolute targets start from the image root; `..` stops at the root),
 * each hop walking the layers again from the top. A hardlink reads its target as the layers up to
 * and including its own showed it when it was unpacked. More than MAX_LINK_HOPS hops is a
 * `LinkLoop` error.
 */
export async function readFileFromLayers(
  layers: readonly LayerSource[],
  path: string,
  options: ReadFileOptions = {},
): Promise<Buffer | undefined> {
  const found = await lookup(layers, path, true, options);
  return found?.body;
}

/** Like readFileFromLayers, with where the file really is (after links) and its mode. */
export async function readResolvedFileFromLayers(
  layers: readonly LayerSource[],
  path: string,
  options: ReadFileOptions = {},
): Promise<{ readonly resolved: ResolvedPath; readonly body: Buffer } | undefined> {
  const found = await lookup(layers, path, true, options);
  return found?.body === undefined ? undefined : { resolved: found.resolved, body: found.body };
}

/** Like readFileFromLayers, without reading the body: what `path` resolves to, if anything. */
export async function resolvePathInLayers(
  layers: readonly LayerSource[],
  path: string,
  options: Omit<ReadFileOptions, "maxBytes"> = {},
): Promise<ResolvedPath | undefined> {
  const found = await lookup(layers, path, false, options);
  return found?.resolved;
}

type LookupStep =
  | { kind: "missing" }
  | { kind: "found"; resolved: ResolvedPath; body?: Buffer }
  | { kind: "redirect"; path: string; layers: readonly LayerSource[] };

async function lookup(
  layers: readonly LayerSource[],
  path: string,
  wantBody: boolean,
  options: ReadFileOptions,
): Promise<{ resolved: ResolvedPath; body?: Buffer } | undefined> {
  let target = resolveImagePath("", path);
  let view = layers;
  const visited = new Set<string>();
  for (let hops = 0; ; hops++) {
    const key = `${view.length}:${target}`;
    if (hops > MAX_LINK_HOPS || visited.has(key)) throw linkLoop(path);
    visited.add(key);
    const step = await lookupOnce(view, target, wantBody, options);
    if (step.kind === "missing") return undefined;
    if (step.kind === "found") return step.body === undefined ? { resolved: step.resolved } : step;
    target = step.path;
    view = step.layers;
  }
}

/** One walk: the entry at `target`, or where a link on the way sends us next. */
async function lookupOnce(
  layers: readonly LayerSource[],
  target: string,
  wantBody: boolean,
  options: ReadFileOptions,
): Promise<LookupStep> {
  let step: LookupStep = { kind: "missing" };
  const found = (e: LayerEntry, type: ResolvedPath["type"], body?: Buffer): LookupStep => ({
    kind: "found",
    resolved: { path: e.path, type, size: e.size, mode: e.mode, layerIndex: e.layerIndex, layerDigest: e.layerDigest },
    ...(body === undefined ? {} : { body }),
  });
  await walkLayers(
    layers,
    async (e) => {
      if (e.path === target) {
        if (e.type === "symlink") {
          step = e.linkTarget ? { kind: "redirect", path: resolveSymlinkTarget(e.path, e.linkTarget), layers } : { kind: "missing" };
        } else if (e.type === "hardlink") {
          const linked = normalizeLayerPath(e.linkTarget ?? "");
          // The link's target was unpacked before it: in this layer, or below.
          step = linked ? { kind: "redirect", path: linked, layers: layers.slice(0, e.layerIndex + 1) } : { kind: "missing" };
        } else if (e.type === "file") {
          step = found(e, "file", wantBody ? await e.read() : undefined);
        } else {
          step = wantBody ? { kind: "missing" } : found(e, e.type);
        }
        return "stop";
      }
      if (isBelow(target, e.path)) {
        // A directory on the way: a symlink sends us elsewhere, anything but a directory ends the search.
        if (e.type === "symlink") {
          const rest = target.slice(e.path.length + 1);
          if (e.linkTarget) step = { kind: "redirect", path: resolveSymlinkTarget(e.path, `${e.linkTarget}/${rest}`), layers };
          return "stop";
        }
        if (e.type !== "directory") return "stop";
        return undefined;
      }
      // Something below the target is visible: the target is a directory.
      if (!wantBody) step = { kind: "found", resolved: { path: target, type: "directory", size: 0, layerIndex: e.layerIndex, layerDigest: e.layerDigest } };
      return "stop";
    },
    { scope: [target], maxReadBytes: options.maxBytes ?? DEFAULT_MAX_READ_BYTES, ...(options.layerOptions ? { layerOptions: options.layerOptions } : {}) },
  );
  return step;
}

/** What lower layers may no longer show, built from the layers above them. */
class LowerLayerMask {
  /** Whiteout targets: hidden themselves, and everything below them. */
  readonly subtrees = new Set<string>();
  /** Opaque directories and non-directories of upper layers: everything below them is hidden. */
  readonly below = new Set<string>();

  add(other: LowerLayerMask) {
    for (const p of other.subtrees) this.subtrees.add(p);
    for (const p of other.below) this.below.add(p);
  }

  hides(path: string): boolean {
    if (this.subtrees.size === 0 && this.below.size === 0) return false;
    if (this.subtrees.has(path) || this.below.has("")) return true;
    for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) {
      const dir = path.slice(0, i);
      if (this.subtrees.has(dir) || this.below.has(dir)) return true;
    }
    return false;
  }

  /** True when nothing strictly below `dir` can show through from lower layers. */
  hidesBelow(dir: string): boolean {
    return this.below.has(dir) || (dir !== "" && this.hides(dir));
  }
}

/** The paths a walk cares about: its roots, everything below them, and the directories above them. */
class Scope {
  readonly roots: string[];
  private readonly everything: boolean;

  constructor(roots: readonly string[]) {
    this.roots = roots.map((r) => resolveImagePath("", r));
    this.everything = this.roots.includes("");
  }

  includes(path: string): boolean {
    return this.everything || this.roots.some((root) => isAtOrBelow(path, root) || isBelow(root, path));
  }
}

function entryTypeOf(header: Header): LayerEntryType {
  switch (header.type) {
    case "file":
    case "contiguous-file":
      return "file";
    case "directory":
      return "directory";
    case "symlink":
      return "symlink";
    case "link":
      return "hardlink";
    default:
      return "other";
  }
}

type BodyStream = Readable & { resume(): unknown };

class VisitedEntry implements LayerEntry {
  readonly size: number;
  readonly mode: number;
  readonly linkTarget?: string;
  #open = true;
  #reading: Promise<Buffer> | undefined;

  constructor(
    readonly path: string,
    readonly type: LayerEntryType,
    header: Header,
    readonly layerIndex: number,
    readonly layerDigest: string,
    private readonly body: BodyStream,
    private readonly maxBytes: number,
  ) {
    this.size = type === "file" ? header.size : 0;
    this.mode = (header.mode ?? 0o644) & 0o7777;
    if (header.linkname) this.linkTarget = header.linkname;
  }

  close() {
    this.#open = false;
  }

  read(): Promise<Buffer> {
    if (!this.#open) return Promise.reject(new Error(`read() of ${this.path} after its visit returned`));
    this.#reading ??= this.#collect();
    return this.#reading;
  }

  #collect(): Promise<Buffer> {
    if (this.type !== "file") return Promise.resolve(Buffer.alloc(0));
    if (this.size > this.maxBytes) return Promise.reject(tooLarge(this.path, this.size, this.maxBytes).inLayer(this.layerDigest));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let length = 0;
      this.body.on("data", (chunk: Buffer) => {
        length += chunk.length;
        if (length <= this.maxBytes) chunks.push(chunk);
      });
      this.body.on("end", () =>
        length <= this.maxBytes ? resolve(Buffer.concat(chunks, length)) : reject(tooLarge(this.path, length, this.maxBytes).inLayer(this.layerDigest)),
      );
      this.body.on("error", reject);
      this.body.on("close", () => reject(new Error(`${this.path}: the walk ended before its body was read`)));
    });
  }
}

type EntryHandler = (header: Header, body: BodyStream) => Promise<boolean>;

/**
 * Reads one layer's tar entries in order, calling `onEntry` for each (it returns true to stop) and
 * draining every body afterwards. All streams are destroyed when this returns or throws.
 */
async function scanLayer(layer: LayerSource, layerOptions: OpenLayerOptions | undefined, onEntry: EntryHandler): Promise<"stopped" | "ended"> {
  const blob = await layer.open();
  const tarStream = openLayerTar(blob, layerOptions);
  const extract = tarExtract();
  let sourceError: unknown;
  tarStream.on("error", (err) => {
    sourceError = err;
    extract.destroy(err);
  });
  tarStream.pipe(extract as unknown as NodeJS.WritableStream);
  const entries = extract[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<BodyStream & { header: Header }>;
      try {
        next = (await entries.next()) as typeof next;
      } catch (err) {
        if (err !== sourceError) throw corrupt("tar", err).inLayer(layer.digest);
        throw err instanceof ImageCheckError ? err.inLayer(layer.digest) : err;
      }
      if (next.done) return "ended";
      const body = next.value;
      if (await onEntry(body.header, body)) return "stopped";
      body.resume();
    }
  } finally {
    tarStream.destroy();
    extract.destroy();
  }
}
