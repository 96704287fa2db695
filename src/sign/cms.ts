import { sign } from "node:crypto";
import { derNull, encode, objectIdentifier, octetString, sequence, set, smallInteger, TAG } from "./der.js";
import type { SigningKey, SigningKeyType } from "./signing-key.js";

// The detached CMS (PKCS#7) SignedData the kernel's scripts/sign-file writes with its default flags
// (CMS_NOCERTS | CMS_BINARY | CMS_DETACHED | CMS_NOATTR | CMS_NOSMIMECAP), byte for byte what
// `openssl cms -sign -binary -noattr -nocerts -nosmimecap -outform DER` produces (RFC 5652):
//
//   ContentInfo { contentType signedData, content [0] EXPLICIT SignedData {
//     version 1, digestAlgorithms SET { <hash> }, encapContentInfo { eContentType data } (no eContent: detached),
//     (no certificates, no crls), signerInfos SET { SignerInfo {
//       version 1, sid IssuerAndSerialNumber { issuer, serialNumber }, digestAlgorithm <hash>,
//       (no signedAttrs), signatureAlgorithm rsaEncryption NULL | ecdsa-with-<hash>,
//       signature OCTET STRING (over the content itself, since there are no signed attributes) } } } }
//
// OpenSSL writes SHA-2 digest AlgorithmIdentifiers without parameters, rsaEncryption with NULL.

export type ModuleHash = "sha256" | "sha384" | "sha512";
export const MODULE_HASHES: readonly ModuleHash[] = ["sha256", "sha384", "sha512"];
export const DEFAULT_MODULE_HASH: ModuleHash = "sha256";

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  data: "1.2.840.113549.1.7.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  "ecdsa-with-sha256": "1.2.840.10045.4.3.2",
  "ecdsa-with-sha384": "1.2.840.10045.4.3.3",
  "ecdsa-with-sha512": "1.2.840.10045.4.3.4",
} as const;

const digestAlgorithm = (hash: ModuleHash) => sequence(objectIdentifier(OID[hash]));

function signatureAlgorithm(type: SigningKeyType, hash: ModuleHash): Buffer {
  return type === "rsa" ? sequence(objectIdentifier(OID.rsaEncryption), derNull()) : sequence(objectIdentifier(OID[`ecdsa-with-${hash}`]));
}

/**
 * The DER ContentInfo of a detached SignedData over `content`, signed by `key` with `hash`: RSA
 * PKCS#1 v1.5 (deterministic: the same input gives the same bytes), or ECDSA (DER signature value).
 */
export function detachedSignedData(content: Uint8Array, key: SigningKey, hash: ModuleHash): Buffer {
  const signature = sign(hash, content, key.privateKey);
  const signerInfo = sequence(
    smallInteger(1),
    sequence(key.issuer, key.serialNumber),
    digestAlgorithm(hash),
    signatureAlgorithm(key.keyType, hash),
    octetString(signature),
  );
  const signedData = sequence(smallInteger(1), set(digestAlgorithm(hash)), sequence(objectIdentifier(OID.data)), set(signerInfo));
  return sequence(objectIdentifier(OID.signedData), encode(TAG.CONTEXT_0, signedData));
}
