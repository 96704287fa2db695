// The trailer the kernel looks for at the end of a signed module (include/linux/module_signature.h,
// scripts/sign-file.c): the signature, then `struct module_signature`, then the magic string.
//
//   struct module_signature {
//     u8 algo;        0 (unused for PKCS#7)
//     u8 hash;        0
//     u8 id_type;     PKEY_ID_PKCS7 (2)
//     u8 signer_len;  0
//     u8 key_id_len;  0
//     u8 __pad[3];
//     __be32 sig_len; length of the PKCS#7 message before it
//   };

export const MODULE_SIGNATURE_MAGIC = Buffer.from("~Module signature appended~\n", "latin1");
export const PKEY_ID_PKCS7 = 2;
/** sizeof(struct module_signature). */
export const MODULE_SIGNATURE_INFO_BYTES = 12;

/** `struct module_signature` for a PKCS#7 signature of `sigLen` bytes. */
export function moduleSignatureInfo(sigLen: number): Buffer {
  if (!Number.isInteger(sigLen) || sigLen < 0 || sigLen > 0xffffffff) throw new RangeError(`sig_len ${sigLen}`);
  const info = Buffer.alloc(MODULE_SIGNATURE_INFO_BYTES);
  info[2] = PKEY_ID_PKCS7;
  info.writeUInt32BE(sigLen, 8);
  return info;
}

/** The signed module: the unsigned bytes, the PKCS#7 message, its `struct module_signature`, the magic. */
export function appendModuleSignature(unsigned: Uint8Array, pkcs7: Uint8Array): Buffer {
  return Buffer.concat([unsigned, pkcs7, moduleSignatureInfo(pkcs7.length), MODULE_SIGNATURE_MAGIC]);
}

export type ModuleSignatureParse =
  | { readonly kind: "unsigned" }
  | {
      readonly kind: "signed";
      /** What the signature covers: every byte before it. */
      readonly content: Buffer;
      readonly pkcs7: Buffer;
    }
  /** The magic is there but the trailer does not hold together: the kernel would refuse it too. */
  | { readonly kind: "malformed"; readonly reason: string };

/** Splits off the last appended signature, as the kernel's mod_verify_sig() reads it. */
export function parseModuleSignature(bytes: Uint8Array): ModuleSignatureParse {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicAt = buf.length - MODULE_SIGNATURE_MAGIC.length;
  if (magicAt < 0 || !buf.subarray(magicAt).equals(MODULE_SIGNATURE_MAGIC)) return { kind: "unsigned" };
  const infoAt = magicAt - MODULE_SIGNATURE_INFO_BYTES;
  if (infoAt < 0) return { kind: "malformed", reason: "ends with the signature magic but has no room for struct module_signature" };
  const idType = buf[infoAt + 2]!;
  const sigLen = buf.readUInt32BE(infoAt + 8);
  // As the kernel's mod_check_sig(): PKCS#7 only, with every other field of the struct zero.
  if (idType !== PKEY_ID_PKCS7) return { kind: "malformed", reason: `its signature trailer has id_type ${idType}, not PKCS#7 (${PKEY_ID_PKCS7})` };
  if (buf.subarray(infoAt, infoAt + 8).some((b, i) => i !== 2 && b !== 0)) return { kind: "malformed", reason: "its PKCS#7 signature trailer sets algo, hash, signer_len, key_id_len or padding" };
  if (sigLen === 0) return { kind: "malformed", reason: "its signature trailer has an empty signature" };
  if (sigLen > infoAt) return { kind: "malformed", reason: `its signature trailer claims ${sigLen} bytes of signature, more than the file holds` };
  const sigAt = infoAt - sigLen;
  return { kind: "signed", content: buf.subarray(0, sigAt), pkcs7: buf.subarray(sigAt, infoAt) };
}
