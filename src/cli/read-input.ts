import { open, readFile } from "node:fs/promises";

// What the commands read: a file, or standard input for `-`.

async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
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
    const buffer = Buffer.alloc(Math.min(limit + 1, (await file.stat()).size + 1));
    let read = 0;
    for (let n = -1; n !== 0 && read < buffer.length; read += n) n = (await file.read(buffer, read, buffer.length - read, null)).bytesRead;
    return buffer.subarray(0, read);
  } finally {
    await file.close();
  }
}

/** Node's messages name neither the file (EISDIR) nor what to do; these name both. */
function cannotRead(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === "ENOENT" ? "no such file (ENOENT)"
    : code === "EISDIR" ? "it is a directory; name each file in it, one flag per file"
    : code === "EACCES" ? "permission denied (EACCES)"
    : err instanceof Error ? err.message : String(err);
  return new Error(`cannot read ${path}: ${why}`);
}

/** The bytes of a file (`-`: standard input), cut off one byte past `limit` so the caller can refuse it. */
export const readInputBounded = (path: string, limit: number): Promise<Buffer> =>
  path === "-" ? readStdin(limit) : readFileHead(path, limit).catch((err: unknown) => Promise.reject(cannotRead(path, err)));

/** A whole file (`-`: standard input) as UTF-8 text. */
export const readInput = async (path: string): Promise<string> =>
  path === "-" ? (await readStdin(Number.POSITIVE_INFINITY)).toString("utf8") : readFile(path, "utf8").catch((err: unknown) => Promise.reject(cannotRead(path, err)));
