// A large gzip layer that looks like a driver/toolkit image layer: the files of this machine's /usr/lib,
// /usr/share and /usr/bin (copied again under another prefix until the size is reached), then the
// kernel module as the very last entry, so a check has to read the whole layer to find it.
// Streamed to a file (tar-stream → `gzip -6`), never held in memory; cached per size.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, type Dirent } from "node:fs";
import { mkdir, open, readdir, readFile, readlink, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pack, type Header, type Pack } from "tar-stream";

type EntryHeader = Partial<Header> & Pick<Header, "name">;

/** Bumped whenever the layer's recipe changes, so stale caches are not reused. */
export const LAYER_RECIPE_VERSION = 1;
export const SOURCE_ROOTS = ["/usr/lib", "/usr/share", "/usr/bin"] as const;
export const BENCH_KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
export const BENCH_MODULE_NAME = "bench_driver";
/** A single file larger than this is left out: it would dominate the layer. */
const MAX_FILE_BYTES = 128 * 1024 * 1024;
/** The module's body: the start of a real ELF binary (this node), about the size of a large driver. */
const MODULE_BYTES = 2 * 1024 * 1024;
const MiB = 1024 * 1024;

export interface LayerMeta {
  readonly recipe: number;
  readonly sizeMiB: number;
  /** Bytes of the uncompressed tar (what a scanner has to parse). */
  readonly tarBytes: number;
  /** Bytes of the gzip blob (what crosses the network). */
  readonly blobBytes: number;
  /** sha256 of the blob. */
  readonly digest: string;
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids). */
  readonly diffId: string;
  readonly entries: { readonly files: number; readonly dirs: number; readonly symlinks: number };
  /** How many times the source trees were copied (1 = once, no extra prefix). */
  readonly passes: number;
  readonly kernel: string;
  readonly moduleName: string;
  /** The last entry of the tar. */
  readonly modulePath: string;
  readonly compressor: string;
  readonly buildSeconds: number;
}

export interface BuiltLayer {
  readonly meta: LayerMeta;
  /** The gzip blob on disk. */
  readonly blobPath: string;
  /** True when it came from the cache rather than being built now. */
  readonly cached: boolean;
  readonly cacheDir: string;
}

/** Builds under way in this process, removed by abandonPartialBuilds() on interruption. */
const partialBuilds = new Set<string>();

/** Removes the half-built layers of this process (after Ctrl-C). */
export async function abandonPartialBuilds(): Promise<void> {
  const dirs = [...partialBuilds];
  partialBuilds.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

/** Removes half-built layers left by processes that no longer run. */
async function removeStalePartials(cacheRoot: string): Promise<void> {
  for (const name of await readdir(cacheRoot).catch(() => [] as string[])) {
    const pid = Number(/\.partial-(\d+)$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || isAlive(pid)) continue;
    await rm(path.join(cacheRoot, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const cacheDirFor = (cacheRoot: string, sizeMiB: number) => path.join(cacheRoot, `layer-r${LAYER_RECIPE_VERSION}-${sizeMiB}mib`);

/** The cached layer of `sizeMiB`, built first when missing or stale. */
export async function ensureLayer(opts: { sizeMiB: number; cacheRoot: string; log: (msg: string) => void }): Promise<BuiltLayer> {
  const dir = cacheDirFor(opts.cacheRoot, opts.sizeMiB);
  const blobPath = path.join(dir, "layer.tar.gz");
  const cached = await readCachedMeta(dir, blobPath);
  if (cached) return { meta: cached, blobPath, cached: true, cacheDir: dir };

  await mkdir(opts.cacheRoot, { recursive: true });
  await removeStalePartials(opts.cacheRoot);
  const partial = `${dir}.partial-${process.pid}`;
  partialBuilds.add(partial);
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial);
  try {
    const meta = await buildLayer(path.join(partial, "layer.tar.gz"), opts.sizeMiB, opts.log);
    await writeFile(path.join(partial, "meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    return { meta, blobPath, cached: false, cacheDir: dir };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  } finally {
    partialBuilds.delete(partial);
  }
}

async function readCachedMeta(dir: string, blobPath: string): Promise<LayerMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(path.join(dir, "meta.json"), "utf8")) as LayerMeta;
    const st = await stat(blobPath);
    return meta.recipe === LAYER_RECIPE_VERSION && st.size === meta.blobBytes ? meta : undefined;
  } catch {
    return undefined;
  }
}

type Found =
  | { readonly kind: "dir"; readonly abs: string; readonly rel: string }
  | { readonly kind: "symlink"; readonly abs: string; readonly rel: string }
  | { readonly kind: "file"; readonly abs: string; readonly rel: string };

/** Depth-first, names sorted, so two builds of the same size on one machine hold the same files. */
async function* walk(abs: string, rel: string): AsyncGenerator<Found> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(abs, { withFileTypes: true });
  } catch {
    return; // unreadable directory
  }
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of dirents) {
    const childAbs = path.join(abs, d.name);
    const childRel = `${rel}/${d.name}`;
    if (d.isDirectory()) {
      yield { kind: "dir", abs: childAbs, rel: childRel };
      yield* walk(childAbs, childRel);
    } else if (d.isSymbolicLink()) {
      yield { kind: "symlink", abs: childAbs, rel: childRel };
    } else if (d.isFile()) {
      yield { kind: "file", abs: childAbs, rel: childRel };
    }
  }
}

/** Counts and hashes what flows through. */
class Tap extends Transform {
  bytes = 0;
  readonly hash = createHash("sha256");
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.bytes += chunk.length;
    this.hash.update(chunk);
    this.push(chunk);
    cb();
  }
}

const padded = (n: number) => Math.ceil(n / 512) * 512;

function addEntry(p: Pack, header: EntryHeader, body?: Readable | Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (body === undefined || Buffer.isBuffer(body)) {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) p.entry(header, body, done);
      else p.entry(header, done);
      return;
    }
    let entryDone = false;
    let bodyDone = false;
    const sink = p.entry(header, (err) => {
      if (err) return reject(err);
      entryDone = true;
      if (bodyDone) resolve();
    });
    pipeline(body, sink as unknown as NodeJS.WritableStream).then(() => {
      bodyDone = true;
      if (entryDone) resolve();
    }, reject);
  });
}

/** `gzip -6 -n` as a child process (uses the second core); Node's zlib at level 6 when there is no gzip. */
async function compressor(): Promise<{ name: string; input: NodeJS.WritableStream; output: Readable; done: Promise<void> }> {
  const gzipBinary = "/usr/bin/gzip";
  const exists = await stat(gzipBinary).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const z = createGzip({ level: 6 });
    return { name: "node zlib level 6", input: z, output: z, done: Promise.resolve() };
  }
  const child = spawn(gzipBinary, ["-6", "-n", "-c"], { stdio: ["pipe", "pipe", "inherit"] });
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`gzip exited with ${code ?? signal}`))));
  });
  return { name: "GNU gzip -6", input: child.stdin, output: child.stdout, done };
}

async function buildLayer(outPath: string, sizeMiB: number, log: (msg: string) => void): Promise<LayerMeta> {
  const started = performance.now();
  const target = sizeMiB * MiB;
  const moduleDir = `opt/lib/modules/${BENCH_KERNEL}/extra`;
  const modulePath = `${moduleDir}/${BENCH_MODULE_NAME}.ko`;
  // What the tail needs: the module's directories and body, and the end-of-archive blocks.
  const reserve = 5 * 512 + 512 + padded(MODULE_BYTES) + 1024;

  const tar = pack();
  const tarTap = new Tap();
  const blobTap = new Tap();
  const gz = await compressor();
  const written = Promise.all([
    pipeline(tar as unknown as Readable, tarTap, gz.input),
    pipeline(gz.output, blobTap, createWriteStream(outPath)),
    gz.done,
  ]);
  // Surface a failing pipeline while entries are still being added.
  let failed: unknown;
  written.catch((err: unknown) => {
    failed = err;
    tar.destroy(err as Error);
  });

  const entries = { files: 0, dirs: 0, symlinks: 0 };
  let estimate = 0; // the tar's size so far, counting headers and padding (pax headers aside)
  let pass = 0;
  let lastReport = 0;
  const common = { uid: 0, gid: 0, uname: "root", gname: "root" } as const;
  const full = () => target - reserve - estimate < 64 * 1024;
  /** Adds a regular file unless it is unreadable, too large, or would overshoot the size; true when added. */
  const addFile = async (abs: string, name: string, headerBytes: number): Promise<boolean> => {
    let fh: FileHandle;
    try {
      fh = await open(abs, "r");
    } catch {
      return false; // unreadable
    }
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size > MAX_FILE_BYTES || estimate + headerBytes + padded(st.size) > target - reserve) return false;
      const header = { ...common, name, type: "file", size: st.size, mode: st.mode & 0o7777, mtime: st.mtime } as const;
      const body = st.size === 0 ? Buffer.alloc(0) : createReadStream("", { fd: fh, autoClose: false, start: 0, end: st.size - 1, highWaterMark: 256 * 1024 });
      await addEntry(tar, header, body);
      estimate += headerBytes + padded(st.size);
      return true;
    } finally {
      await fh.close();
    }
  };

  const dirs = new Set<string>();
  /** Emits `dir` and its missing ancestors, once each: real layers name every directory once. */
  const ensureDirs = async (dir: string) => {
    const parts = dir.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const name = parts.slice(0, i).join("/");
      if (dirs.has(name)) continue;
      dirs.add(name);
      await addEntry(tar, { ...common, name, type: "directory", mode: 0o755, mtime: new Date(0) });
      entries.dirs++;
      estimate += 512;
    }
  };

  while (!full()) {
    const prefix = pass === 0 ? "" : `srv/copy${pass}/`;
    const before = estimate;
    for (const root of SOURCE_ROOTS) {
      if (full()) break;
      const rootRel = root.slice(1);
      await ensureDirs(`${prefix}${rootRel}`);
      for await (const f of walk(root, rootRel)) {
        if (failed) throw failed;
        if (full()) break;
        const name = `${prefix}${f.rel}`;
        const headerBytes = Buffer.byteLength(name) > 100 ? 1536 : 512;
        try {
          if (f.kind === "dir") {
            const st = await stat(f.abs);
            dirs.add(name);
            await addEntry(tar, { ...common, name, type: "directory", mode: st.mode & 0o7777, mtime: st.mtime });
            entries.dirs++;
            estimate += headerBytes;
          } else if (f.kind === "symlink") {
            const linkname = await readlink(f.abs);
            await addEntry(tar, { ...common, name, type: "symlink", linkname, mode: 0o777, mtime: new Date(0) });
            entries.symlinks++;
            estimate += headerBytes;
          } else if (await addFile(f.abs, name, headerBytes)) {
            entries.files++;
          }
        } catch (err) {
          if (failed) throw failed;
          throw new Error(`adding ${f.abs} to the layer: ${(err as Error).message}`, { cause: err });
        }
        if (estimate - lastReport >= 128 * MiB) {
          lastReport = estimate;
          log(`  building layer: ${(estimate / MiB).toFixed(0)} / ${sizeMiB} MiB of tar (pass ${pass + 1})`);
        }
      }
    }
    pass++;
    if (estimate === before) throw new Error(`found no readable files under ${SOURCE_ROOTS.join(", ")}`);
  }

  // The tail: the module's directories, then the module itself as the last entry.
  await ensureDirs(moduleDir);
  const elf = await readPrefix(process.execPath, MODULE_BYTES);
  await addEntry(tar, { ...common, name: modulePath, type: "file", size: elf.length, mode: 0o644, mtime: new Date(0) }, elf);
  entries.files++;
  tar.finalize();
  await written;

  return {
    recipe: LAYER_RECIPE_VERSION,
    sizeMiB,
    tarBytes: tarTap.bytes,
    blobBytes: blobTap.bytes,
    digest: `sha256:${blobTap.hash.digest("hex")}`,
    diffId: `sha256:${tarTap.hash.digest("hex")}`,
    entries,
    passes: pass,
    kernel: BENCH_KERNEL,
    moduleName: BENCH_MODULE_NAME,
    modulePath,
    compressor: gz.name,
    buildSeconds: (performance.now() - started) / 1000,
  };
}

async function readPrefix(file: string, max: number): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
