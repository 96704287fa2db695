import { DEFAULT_MODULE_HASH, detachedSignedData, type ModuleHash } from "./cms.js";
import { appendModuleSignature, parseModuleSignature } from "./module-signature.js";
import type { SigningKey } from "./signing-key.js";

// Signing one kernel module as scripts/sign-file does, with one policy of our own: a module that
// already carries signatures has them removed first, so the result holds exactly one signature, ours,
// over the module itself (ADR "module signatures").

export type SignModuleResult =
  | {
      readonly ok: true;
      readonly signed: Buffer;
      /** The bytes the signature covers: the module without any signature. */
      readonly unsigned: Buffer;
      /** Signatures that were removed before signing (0 for an unsigned module). */
      readonly replacedSignatures: number;
    }
  | { readonly ok: false; readonly reason: string };

/** More stacked signatures than this is not a module someone signed; it is a loop. */
const MAX_STACKED_SIGNATURES = 8;

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const ET_REL = 1;
const COMPRESSED: readonly { name: string; magic: Buffer }[] = [
  { name: "xz", magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
  { name: "zstd", magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]) },
  { name: "gzip", magic: Buffer.from([0x1f, 0x8b]) },
];

/**
 * Why `bytes` is not a kernel module, or undefined when it is one: an ELF relocatable object (ET_REL).
 * Compressed modules are refused: the kernel checks the signature of the decompressed module, so
 * they must be signed before they are compressed.
 */
export function notAKernelModule(bytes: Uint8Array): string | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const compressed = COMPRESSED.find((c) => buf.subarray(0, c.magic.length).equals(c.magic));
  if (compressed) return `is ${compressed.name}-compressed; the kernel verifies the signature of the decompressed module, so sign it before compressing (list the .ko in filesToSign)`;
  if (buf.length < 18 || !buf.subarray(0, 4).equals(ELF_MAGIC)) return "is not an ELF object, so not a kernel module";
  // e_type (16 bits at offset 16) in the byte order EI_DATA (offset 5) names: 1 little-endian, 2 big-endian.
  const type = buf[5] === 2 ? buf.readUInt16BE(16) : buf.readUInt16LE(16);
  if (type !== ET_REL) return `is an ELF object of type ${type}, not a relocatable object (ET_REL) as kernel modules are`;
  return undefined;
}

/** The module without any appended signature, or why its trailer cannot be trusted. */
export function stripModuleSignatures(bytes: Buffer): { ok: true; unsigned: Buffer; removed: number } | { ok: false; reason: string } {
  let current = bytes;
  for (let removed = 0; removed <= MAX_STACKED_SIGNATURES; removed++) {
    const parsed = parseModuleSignature(current);
    if (parsed.kind === "unsigned") return { ok: true, unsigned: current, removed };
    if (parsed.kind === "malformed") return { ok: false, reason: `ends with the module signature magic but ${parsed.reason}` };
    current = parsed.content;
  }
  return { ok: false, reason: `carries more than ${MAX_STACKED_SIGNATURES} stacked signatures` };
}

/** `bytes` signed with `key`: a detached PKCS#7 over the unsigned module, then the kernel's trailer. */
export function signKernelModule(bytes: Buffer, key: SigningKey, hash: ModuleHash = DEFAULT_MODULE_HASH): SignModuleResult {
  const stripped = stripModuleSignatures(bytes);
  if (!stripped.ok) return stripped;
  const problem = notAKernelModule(stripped.unsigned);
  if (problem) return { ok: false, reason: problem };
  const pkcs7 = detachedSignedData(stripped.unsigned, key, hash);
  return { ok: true, signed: appendModuleSignature(stripped.unsigned, pkcs7), unsigned: stripped.unsigned, replacedSignatures: stripped.removed };
}
