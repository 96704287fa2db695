import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { bytesOf, childrenOf, DerError, readTlv, TAG } from "./der.js";

// The private key and X.509 certificate a Module signs with (its keySecret and certSecret), as the
// kernel's sign-file reads them: a PEM private key (PKCS#1, PKCS#8 or SEC1; DER accepted too) and a PEM
// or DER certificate. The certificate only names the signer (issuer and serial number) in the
// signature; it is not embedded.

/** Key types the kernel verifies module signatures with (RSA; ECDSA on NIST P-256/P-384 since 5.13). */
export type SigningKeyType = "rsa" | "ec";

const KERNEL_EC_CURVES: ReadonlySet<string> = new Set(["prime256v1", "secp384r1"]);

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly keyType: SigningKeyType;
  /** The certificate's issuer Name, DER: with the serial number, it identifies the signer. */
  readonly issuer: Buffer;
  /** The certificate's serialNumber INTEGER, DER (tag and length included). */
  readonly serialNumber: Buffer;
  /** The certificate's subject on one line, e.g. `CN=Build key, O=Example`. */
  readonly subject: string;
}

export type SigningKeyProblem = "key" | "certificate" | "mismatch";

export type SigningKeyResult =
  | { readonly ok: true; readonly key: SigningKey }
  | { readonly ok: false; readonly problem: SigningKeyProblem; readonly reason: string };

const looksLikePem = (b: Uint8Array) => Buffer.from(b.subarray(0, 4096)).toString("latin1").includes("-----BEGIN ");

function parsePrivateKey(bytes: Uint8Array): { ok: true; key: KeyObject } | { ok: false; reason: string } {
  if (looksLikePem(bytes)) {
    const text = Buffer.from(bytes).toString("latin1");
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(text)) {
      return { ok: false, reason: "is encrypted; sign with an unencrypted key (the Secret is what protects it)" };
    }
    try {
      return { ok: true, key: createPrivateKey({ key: Buffer.from(bytes), format: "pem" }) };
    } catch (err) {
      return { ok: false, reason: `is not a PEM private key (${describe(err)})` };
    }
  }
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      return { ok: true, key: createPrivateKey({ key: Buffer.from(bytes), format: "der", type }) };
    } catch {
      // try the next encoding
    }
  }
  return { ok: false, reason: "is neither a PEM private key nor a DER PKCS#8, PKCS#1 or SEC1 one" };
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}

/** The issuer Name and serialNumber of a DER certificate (X.509 v1 to v3). */
export function issuerAndSerial(der: Uint8Array): { issuer: Buffer; serialNumber: Buffer } {
  const cert = readTlv(der, 0);
  const [tbs] = childrenOf(der, cert);
  if (cert.tag !== TAG.SEQUENCE || tbs?.tag !== TAG.SEQUENCE) throw new DerError("not a certificate");
  const fields = childrenOf(der, tbs);
  // version is an optional [0] EXPLICIT; serialNumber, signature and issuer follow.
  const rest = fields[0]?.tag === TAG.CONTEXT_0 ? fields.slice(1) : fields;
  const [serial, , issuer] = rest;
  if (serial?.tag !== TAG.INTEGER || issuer?.tag !== TAG.SEQUENCE) throw new DerError("certificate without serialNumber and issuer");
  return { issuer: bytesOf(der, issuer), serialNumber: bytesOf(der, serial) };
}

function keyTypeOf(key: KeyObject): { ok: true; type: SigningKeyType } | { ok: false; reason: string } {
  const type = key.asymmetricKeyType;
  if (type === "rsa") return { ok: true, type };
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "unknown";
    if (KERNEL_EC_CURVES.has(curve)) return { ok: true, type };
    return { ok: false, reason: `is an EC key on curve ${curve}; the kernel verifies ECDSA module signatures on P-256 and P-384 only` };
  }
  return { ok: false, reason: `is a ${type ?? "unknown"} key; the kernel verifies module signatures made with RSA (or ECDSA on P-256/P-384)` };
}

/**
 * Reads the key and certificate and checks that they belong together. The caller should wipe
 * `keyBytes` afterwards: the KeyObject holds the key from then on.
 */
export function loadSigningKey(keyBytes: Uint8Array, certBytes: Uint8Array): SigningKeyResult {
  const parsed = parsePrivateKey(keyBytes);
  if (!parsed.ok) return { ok: false, problem: "key", reason: `the private key ${parsed.reason}` };
  const type = keyTypeOf(parsed.key);
  if (!type.ok) return { ok: false, problem: "key", reason: `the private key ${type.reason}` };

  let cert: X509Certificate;
  let names: { issuer: Buffer; serialNumber: Buffer };
  try {
    cert = new X509Certificate(Buffer.from(certBytes));
    names = issuerAndSerial(cert.raw);
  } catch (err) {
    return { ok: false, problem: "certificate", reason: `the certificate is not a PEM or DER X.509 certificate (${describe(err)})` };
  }
  const subject = cert.subject.split("\n").join(", ");
  if (!cert.checkPrivateKey(parsed.key)) {
    return { ok: false, problem: "mismatch", reason: `the private key does not belong to the certificate (${subject}, serial ${cert.serialNumber})` };
  }
  return { ok: true, key: { privateKey: parsed.key, keyType: type.type, ...names, subject } };
}
