import { PassThrough, type Readable, type Transform } from "node:stream";
import zlib from "node:zlib";
import { corrupt, unsupported } from "./errors.js";

/**
 * Output chunk of the gunzip stream. zlib's 16 KiB default makes inflate wait on the main thread
 * for every chunk (~65,000 handoffs per GiB) and halves throughput; 256 KiB reaches GNU gzip's speed
 * and more for a few hundred KiB of memory (bench/README.md).
 */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/**
 * How a layer blob is compressed, told by its first bytes rather than by the media type: registries
 * and tools mislabel layers (a `+gzip` type on a plain tar, Docker's `tar.gzip` on zstd), and the
 * bytes are what the runtime will unpack.
 */
export type LayerCompression = "gzip" | "zstd" | "xz" | "bzip2" | "none";

const MAGIC: ReadonlyArray<readonly [LayerCompression, readonly number[]]> = [
  ["gzip", [0x1f, 0x8b]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["bzip2", [0x42, 0x5a, 0x68]], // "BZh"
];

/** The longest magic number: the bytes {@link openLayerTar} waits for before it decides. */
export const SNIFF_BYTES = Math.max(...MAGIC.map(([, m]) => m.length));

/** Pure: the compression whose magic number `head` starts with; anything else is taken as a plain tar. */
export function detectCompression(head: Uint8Array): LayerCompression {
  for (const [kind, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return "none";
}

type DecompressorFactory = () => Transform;

/** `zlib.createZstdDecompress`, present from Node 22.15 / 23.8 on; undefined on older Nodes. */
export const nodeZstdDecompress: DecompressorFactory | undefined = (
  zlib as unknown as { createZstdDecompress?: DecompressorFactory }
).createZstdDecompress;

export interface OpenLayerOptions {
  /**
   * Makes zstd decompressors; `null` behaves like a Node without zstd (for tests).
   * @default zlib.createZstdDecompress when the running Node has it
   */
  readonly zstd?: DecompressorFactory | null;
}

/**
 * The tar stream inside a layer blob, decompressed on the fly: nothing is buffered beyond the few
 * magic bytes and the streams' own high-water marks.
 *
 * - Decompressor failures surface as `Corrupt` errors; zstd on a Node without it, xz and bzip2 as
 *   `Unsupported`. Errors of `blob` itself are passed through unchanged.
 * - Destroying the returned stream destroys `blob` (and the decompressor), so a caller that stops
 *   early releases the connection.
 */
export function openLayerTar(blob: Readable, options: OpenLayerOptions = {}): Readable {
  const zstd = options.zstd === undefined ? nodeZstdDecompress : (options.zstd ?? undefined);
  const out = new PassThrough({ highWaterMark: 64 * 1024 });
  const head: Buffer[] = [];
  let headLength = 0;
  let decoder: Transform | undefined;

  const fail = (err: Error) => {
    if (!out.destroyed) out.destroy(err);
    blob.destroy();
    decoder?.destroy();
  };
  const onHead = (chunk: Buffer) => {
    head.push(chunk);
    headLength += chunk.length;
    if (headLength >= SNIFF_BYTES) start();
  };
  const onEarlyEnd = () => start();

  function start() {
    blob.off("data", onHead);
    blob.off("end", onEarlyEnd);
    blob.pause();
    const prefix = Buffer.concat(head);
    head.length = 0;
    const kind = detectCompression(prefix);
    if (kind === "xz" || kind === "bzip2") return fail(unsupported(`${kind}-compressed layers are not supported (OCI layers are tar, tar+gzip or tar+zstd)`));
    if (kind === "zstd" && !zstd) {
      return fail(unsupported(`zstd-compressed layers need Node.js >= 22.15 or >= 23.8; this is ${process.version}`));
    }
    const sink = kind === "none" ? out : (decoder = kind === "gzip" ? zlib.createGunzip({ chunkSize: INFLATE_CHUNK_BYTES }) : zstd!());
    if (decoder) {
      decoder.on("error", (err) => fail(corrupt(kind, err)));
      decoder.pipe(out);
    }
    if (blob.readableEnded) {
      sink.end(prefix);
    } else {
      sink.write(prefix);
      blob.pipe(sink);
    }
  }

  blob.on("error", fail);
  blob.on("data", onHead);
  blob.once("end", onEarlyEnd);
  out.once("close", () => {
    blob.destroy();
    decoder?.destroy();
  });
  return out;
}
