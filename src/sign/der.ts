// Just enough DER (X.690) to write a CMS SignedData and to read a certificate's issuer and serial
// number: single-byte tags, definite lengths. Anything else is refused rather than guessed at.

export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** `[0]` constructed, context-specific (EXPLICIT [0], or an IMPLICIT [0] of a constructed type). */
  CONTEXT_0: 0xa0,
} as const;

export class DerError extends Error {
  override readonly name = "DerError";
}

/** One element: where its header starts, where its content starts, and where it ends (exclusive). */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** The element at `offset`; it must fit within `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError(`truncated element at byte ${offset}`);
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at byte ${offset}`);
  const first = buf[offset + 1]!;
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new DerError(`indefinite length at byte ${offset} (BER, not DER)`);
    if (n > 4 || offset + 2 + n > limit) throw new DerError(`bad length at byte ${offset}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + 2 + i]!;
    contentStart = offset + 2 + n;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`element at byte ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element, in order. */
export function childrenOf(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The element's bytes, header included. */
export const bytesOf = (buf: Uint8Array, tlv: Tlv): Buffer => Buffer.from(buf.subarray(tlv.start, tlv.end));

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const digits: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) digits.unshift(v % 256);
  return Buffer.from([0x80 | digits.length, ...digits]);
}

/** An element of `tag` whose content is the concatenation of `parts` (already-encoded children, or raw content). */
export function encode(tag: number, ...parts: readonly Uint8Array[]): Buffer {
  const content = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const sequence = (...children: readonly Uint8Array[]) => encode(TAG.SEQUENCE, ...children);
/** A SET OF with one element, or elements already in DER order (sorted by encoding). */
export const set = (...children: readonly Uint8Array[]) => encode(TAG.SET, ...children);
export const octetString = (bytes: Uint8Array) => encode(TAG.OCTET_STRING, bytes);
export const derNull = () => encode(TAG.NULL);

/** A small non-negative INTEGER (a version number). */
export function smallInteger(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 127) throw new RangeError(`smallInteger: ${n}`);
  return encode(TAG.INTEGER, Buffer.from([n]));
}

/** An OBJECT IDENTIFIER from its dotted form, e.g. `2.16.840.1.101.3.4.2.1`. */
export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split(".").map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`objectIdentifier: ${JSON.stringify(dotted)}`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2) throw new RangeError(`objectIdentifier: ${JSON.stringify(dotted)}`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    // Base 128, most significant group first, every group but the last with its high bit set.
    const groups = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v % 128) | 0x80);
    bytes.push(...groups);
  }
  return encode(TAG.OID, Buffer.from(bytes));
}
