/**
 * Image layers for tests, the one way to build them: tar archives of entries built in memory
 * (tar-stream's pack, reproducible: the same entries give the same bytes and digest), compressed as
 * asked; a streamed generator for large layers; raw tar headers for hostile input; and LayerSources
 * that count their opens. Nothing here talks to a registry: oci-image.ts pushes these layers.
 */
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { pack } from "tar-stream";
import type { LayerSource } from "../../src/image-check/layered-fs.js";

export type Compression = "gzip" | "none" | "zstd";

export interface TestEntry {
  /** Path inside the image, without a leading "/". */
  readonly name: string;
  readonly type?: "file" | "directory" | "symlink" | "link";
  readonly body?: string | Buffer;
  readonly linkname?: string;
  /** Permission bits. @default tar-stream's (0o644 for files, 0o755 for directories) */
  readonly mode?: number;
}

export const file = (name: string, body: string | Buffer = `contents of ${name}`): TestEntry => ({ name, body });
export const dir = (name: string): TestEntry => ({ name, type: "directory" });
export const symlink = (name: string, target: string): TestEntry => ({ name, type: "symlink", linkname: target });
export const hardlink = (name: string, target: string): TestEntry => ({ name, type: "link", linkname: target });
/** `.wh.<base>` beside `path`: hides `path` in the lower layers. */
export const whiteout = (path: string): TestEntry => {
  const i = path.lastIndexOf("/");
  return file(`${path.slice(0, i + 1)}.wh.${path.slice(i + 1)}`, "");
};
/** `.wh..wh..opq` in `dirPath`: hides the lower layers' contents of it. */
export const opaque = (dirPath: string): TestEntry => file(`${dirPath}/.wh..wh..opq`, "");

/** A tar archive (with its end-of-archive blocks) of `entries`, in order, owned by root, mtime 0. */
export async function tarOf(entries: readonly TestEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const body = e.body === undefined ? undefined : Buffer.from(e.body);
    const header = { name: e.name, type: e.type ?? "file", ...(e.linkname ? { linkname: e.linkname } : {}), ...(e.mode !== undefined && { mode: e.mode }), mtime: new Date(0), uid: 0, gid: 0, uname: "root", gname: "root" } as const;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (body) p.entry(header, body, done);
      else p.entry(header, done);
    });
  }
  p.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** A layer blob: `entries` as a tar, compressed as asked (gzip by default). */
export async function layer(entries: readonly TestEntry[], options: { compression?: Compression } = {}): Promise<Buffer> {
  return compress(await tarOf(entries), options.compression ?? "gzip");
}

const zstdCompressSync = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;

export function compress(tar: Buffer, compression: Compression): Buffer {
  switch (compression) {
    case "none":
      return tar;
    case "gzip":
      return zlib.gzipSync(tar);
    case "zstd":
      return zstdCompressSync ? zstdCompressSync(tar) : zstdRawFrame(tar);
  }
}

/**
 * A valid zstd frame holding `data` in raw (stored) blocks, for Nodes without a zstd compressor
 * (RFC 8878: magic, a frame header with a 128 KiB window, then blocks of at most 128 KiB).
 */
export function zstdRawFrame(data: Buffer): Buffer {
  const MAX_BLOCK = 128 * 1024;
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  let offset = 0;
  do {
    const size = Math.min(MAX_BLOCK, data.length - offset);
    const last = offset + size >= data.length ? 1 : 0;
    const header = (size << 3) | last; // block type 0 = raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), data.subarray(offset, offset + size));
    offset += size;
  } while (offset < data.length);
  return Buffer.concat(parts);
}

/** Counts how often each layer is opened and whether its stream was released. */
export interface SpyLayer extends LayerSource {
  readonly opened: number;
  readonly streams: Readable[];
}

/** A LayerSource serving `blob` in chunks of `chunkSize` bytes (small chunks exercise the sniffing). */
export function source(digest: string, blob: Buffer | (() => Readable), chunkSize = 64 * 1024): SpyLayer {
  const streams: Readable[] = [];
  return {
    digest,
    get opened() {
      return streams.length;
    },
    streams,
    async open() {
      const s = typeof blob === "function" ? blob() : Readable.from(chunks(blob, chunkSize), { objectMode: false });
      streams.push(s);
      return s;
    },
  };
}

function* chunks(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

/** LayerSources for blobs listed bottom first, with digests `sha256:layer0`, `sha256:layer1`, … */
export const image = (...blobs: Buffer[]): SpyLayer[] => blobs.map((b, i) => source(`sha256:layer${i}`, b));

/** A raw 512-byte ustar header. `size` may be a bigint beyond octal's reach (base-256 is used). */
export function tarHeader(h: { name: string; size?: number | bigint; typeflag?: string; linkname?: string }): Buffer {
  const b = Buffer.alloc(512);
  b.write(h.name, 0, 100, "utf8");
  b.write("0000644\0", 100);
  b.write("0000000\0", 108);
  b.write("0000000\0", 116);
  const size = BigInt(h.size ?? 0);
  if (size >= 0n && size < 8n ** 11n) {
    b.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  } else {
    // GNU base-256: high bit set, two's complement big-endian in the 12 bytes.
    let v = BigInt.asUintN(95, size);
    for (let i = 135; i > 124; i--, v >>= 8n) b[i] = Number(v & 0xffn);
    b[124] = 0x80 | (size < 0n ? 0x7f : 0);
  }
  b.write("00000000000\0", 136);
  b.write(h.typeflag ?? "0", 156);
  if (h.linkname) b.write(h.linkname, 157, 100, "utf8");
  b.write("ustar\0", 257);
  b.write("00", 263);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return b;
}

/** Zero padding after a body of `n` bytes, up to the next 512-byte boundary. */
export const tarPadding = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);
export const TAR_END = Buffer.alloc(1024);

/** A tar entry (header, body, padding) without end-of-archive blocks, for hand-assembled archives. */
export function rawEntry(name: string, body: string | Buffer = ""): Buffer {
  const data = Buffer.from(body);
  return Buffer.concat([tarHeader({ name, size: data.length }), data, tarPadding(data.length)]);
}

/**
 * An uncompressed tar generated as it is read: `files` entries `<prefix>/fileN` of `fileSize`
 * zero bytes each, then `tail` (raw entries, e.g. from rawEntry), then the end-of-archive blocks.
 * Never holds more than one chunk.
 */
export function generatedTar(opts: { files: number; fileSize: number; prefix: string; tail?: Buffer }): Readable {
  const CHUNK = 256 * 1024;
  const zeros = Buffer.alloc(CHUNK);
  let fileIndex = 0;
  let remaining = -1; // body bytes still to send for the current file; -1 = header next
  let tailSent = false;
  return new Readable({
    read() {
      for (;;) {
        let chunk: Buffer | null;
        if (fileIndex < opts.files) {
          if (remaining < 0) {
            chunk = tarHeader({ name: `${opts.prefix}/file${fileIndex}`, size: opts.fileSize });
            remaining = opts.fileSize;
          } else if (remaining > 0) {
            const n = Math.min(CHUNK, remaining);
            remaining -= n;
            chunk = zeros.subarray(0, n);
          } else {
            chunk = tarPadding(opts.fileSize);
            fileIndex++;
            remaining = -1;
          }
        } else if (!tailSent) {
          tailSent = true;
          chunk = Buffer.concat([opts.tail ?? Buffer.alloc(0), TAR_END]);
        } else {
          chunk = null;
        }
        if (!this.push(chunk) || chunk === null) return;
      }
    },
  });
}
