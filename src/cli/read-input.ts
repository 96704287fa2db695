import { open } from "node:fs/promises";

// What the commands read: a file, or standard input for `-`.

/** A stream up to its end, or to one byte past `limit`. */
async function readStream(stream: AsyncIterable<unknown>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream) {
    chunks.push(c as Buffer);
    // One byte over the limit is enough to refuse; the rest is never held.
    if ((size += (c as Buffer).length) > limit) break;
  }
  return Buffer.concat(chunks);
}

/** At most `limit` + 1 bytes of a file: enough to tell that it is too large without reading it. */
async function readFileHead(path: string, limit: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    // A pipe or device (`-f <(kubectl ...)`, /dev/stdin) has no size to trust: read it as a stream.
    const stat = await file.stat();
    if (!stat.isFile()) return await readStream(file.createReadStream({ autoClose: false }), limit);
    const buffer = Buffer.alloc(Math.min(limit + 1, stat.size + 1));
    let read = 0;
    for (let n = -1; n !== 0 && read < buffer.length; read += n) n = (await file.read(buffer, read, buffer.length - read, null)).bytesRead;
    return buffer.subarray(0, read);
  } finally {
    await file.close();
  }
}

/** Node's messages name neither the file (EISDIR: "illegal operation on a directory, read") nor what to do; these name both. */
function cannotRead(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT" ? "no such file (ENOENT)"
    : code === "EISDIR" ? "it is a directory (EISDIR); name each file in it, one flag per file"
    : code === "EACCES" ? "permission denied (EACCES)"
    : err instanceof Error ? err.message : String(err);
  return new Error(`cannot read ${path}: ${why}`);
}

/**
 * The bytes of a file (`-` is a file name here, for a flag naming one file: --key, --cert, --ca), cut off
 * one byte past `limit` so the caller can refuse it; a file that cannot be read is named, with why.
 */
export const readFileBounded = (path: string, limit: number): Promise<Buffer> =>
  readFileHead(path, limit).catch((err: unknown) => Promise.reject(cannotRead(path, err)));

/** As readFileBounded, and `-` reads standard input. */
export const readInputBounded = (path: string, limit: number): Promise<Buffer> =>
  path === "-" ? readStream(process.stdin, limit).catch((err: unknown) => Promise.reject(cannotRead(path, err))) : readFileBounded(path, limit);
