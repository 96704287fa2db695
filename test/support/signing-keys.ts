import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { generateCertificates } from "../../src/certs/generate.js";

// Keys and certificates for signing tests (the unit tests in src/sign and the integration tests).
// generateCertificates makes a self-signed CA and a certificate it issued, both RSA 2048.

let cached: ReturnType<typeof generateCertificates> | undefined;
const certs = () => (cached ??= generateCertificates({ serviceName: "module-signer", namespace: "test" }));

/** A key and the CA-issued certificate that belongs to it (issuer: the CA, not the subject). */
export const issued = () => ({ keyPem: certs().tlsKeyPem, certPem: certs().tlsCertPem, issuerCertPem: certs().caCertPem });
/** The self-signed CA's key and certificate. */
export const selfSigned = () => ({ keyPem: certs().caKeyPem, certPem: certs().caCertPem });
/** PEM to DER for a certificate. */
export const certDer = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, ""), "base64");
/** The same private key as PKCS#1 ("RSA PRIVATE KEY") or PKCS#8 ("PRIVATE KEY") PEM, or DER. */
export function reencode(keyPem: string, type: "pkcs1" | "pkcs8", format: "pem" | "der"): Buffer {
  const key = createPrivateKey(keyPem);
  return format === "pem" ? Buffer.from(key.export({ type, format })) : key.export({ type, format });
}
export const ed25519Pem = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }) as string;
export const ecPem = (namedCurve: string) => generateKeyPairSync("ec", { namedCurve }).privateKey.export({ type: "sec1", format: "pem" }) as string;

/** The smallest bytes notAKernelModule() accepts: an ELF64 little-endian header of type ET_REL. */
export function elfRelocatable(extra = ""): Buffer {
  const header = Buffer.alloc(64);
  header.write("\x7fELF", 0, "latin1");
  header[4] = 2; // ELFCLASS64
  header[5] = 1; // ELFDATA2LSB
  header[6] = 1; // EV_CURRENT
  header.writeUInt16LE(1, 16); // ET_REL
  return Buffer.concat([header, Buffer.from(extra)]);
}
