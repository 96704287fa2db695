// Content verification while streaming: count and hash every byte, stop as soon as there are more bytes
// than the descriptor says, and fail at the end when the size or digest differ.
import { createHash } from "node:crypto";
import { digestAlgorithm } from "./manifest.js";

export interface Expected {
  readonly digest: string;
  readonly size: number;
}

/** Why the content does not match; `received` is the byte count so far. */
export interface Mismatch {
  readonly problem: "too-large" | "too-small" | "digest";
  readonly received: number;
  readonly actualDigest?: string;
}

/**
 * Yields the chunks of `source` unchanged while verifying them against `want`. A mismatch throws
 * `fail(mismatch)`: immediately once the size is exceeded (the rest is not read), after the last chunk
 * otherwise. Leaving the loop early stops reading `source` (for await … of returns it).
 */
export async function* verifyChunks(source: AsyncIterable<Uint8Array>, want: Expected, fail: (m: Mismatch) => Error): AsyncGenerator<Buffer> {
  const algorithm = digestAlgorithm(want.digest);
  if (!algorithm) throw new TypeError(`cannot verify digest ${JSON.stringify(want.digest)}`);
  const hash = createHash(algorithm);
  let received = 0;
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    received += buf.length;
    if (received > want.size) throw fail({ problem: "too-large", received });
    hash.update(buf);
    yield buf;
  }
  if (received < want.size) throw fail({ problem: "too-small", received });
  const actualDigest = `${algorithm}:${hash.digest("hex")}`;
  if (actualDigest !== want.digest) throw fail({ problem: "digest", received, actualDigest });
}

/** A person-readable sentence for a mismatch. */
export function describeMismatch(m: Mismatch, want: Expected): string {
  switch (m.problem) {
    case "too-large":
      return `more than the ${want.size} bytes the descriptor says (stopped after ${m.received})`;
    case "too-small":
      return `${m.received} bytes where the descriptor says ${want.size}`;
    case "digest":
      return `content digest ${m.actualDigest} does not match ${want.digest}`;
  }
}
