import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";
import { digestOf } from "../registry/index.js";

// The layer the sign stage adds on top of the unsigned image: the signed files at their paths, as a
// gzip-compressed tar. Reproducible: the same files give the same bytes (entries sorted, root-owned,
// one fixed mtime, gzip without a timestamp), so signing the same image again gives the same digest.

export interface LayerFile {
  /** Image path without a leading `/`, e.g. `opt/lib/modules/5.14.0/extra/drv.ko`. */
  readonly path: string;
  readonly body: Buffer;
  /** Permission bits. @default 0o644 */
  readonly mode?: number;
}

export interface BuiltLayer {
  /** The gzip-compressed tar: the blob to push. */
  readonly blob: Buffer;
  /** `sha256:` of the blob. */
  readonly digest: string;
  /** `sha256:` of the uncompressed tar: the config's rootfs.diff_ids entry. */
  readonly diffId: string;
}

/** A tar of regular files only: parent directories already exist in the layers below. */
export async function buildLayer(files: readonly LayerFile[], mtime: Date): Promise<BuiltLayer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    await new Promise<void>((resolve, reject) =>
      p.entry({ name: f.path, type: "file", mode: f.mode ?? 0o644, mtime, uid: 0, gid: 0, uname: "root", gname: "root", size: f.body.length }, f.body, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await collected;
  const tar = Buffer.concat(chunks);
  const blob = gzipSync(tar);
  return { blob, digest: digestOf(blob), diffId: digestOf(tar) };
}
