import { generateKeyPairSync, randomBytes as cryptoRandomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

/** An existing CA to sign with, as PEM. The key must be RSA (node-forge signs with RSA only). */
export interface CaKeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A key pair as PEM: the public key as SPKI ("PUBLIC KEY"), the private key as PKCS#1 or PKCS#8. */
export interface KeyPairPem {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

export interface GenerateOptions {
  /** Name of the Service in front of the webhook, e.g. "kmm-preflight". */
  readonly serviceName: string;
  /** Namespace of that Service. */
  readonly namespace: string;
  /** More DNS subjectAltNames for the serving certificate. */
  readonly extraDnsNames?: readonly string[];
  /** More IP subjectAltNames for the serving certificate (IPv4 or IPv6). */
  readonly extraIps?: readonly string[];
  /** Lifetime of the serving certificate, capped at the CA's notAfter. @default 365 */
  readonly validityDays?: number;
  /** Lifetime of a newly created CA; ignored when `ca` is given. @default 3650 */
  readonly caValidityDays?: number;
  /** The clock. @default new Date() */
  readonly now?: Date;
  /** Reuse this CA and issue only a new serving certificate, so the caBundle stays the same. @default a new CA */
  readonly ca?: CaKeyPair;
  /** Key generation, injectable for tests. @default RSA 2048 from node:crypto */
  readonly generateKeyPair?: () => KeyPairPem;
  /** Randomness for serial numbers, injectable for tests. @default node:crypto randomBytes */
  readonly randomBytes?: (size: number) => Uint8Array;
}

export interface GeneratedCertificates {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly tlsCertPem: string;
  readonly tlsKeyPem: string;
}

export const CA_COMMON_NAME = "kmm-preflight-ca";
export const DEFAULT_VALIDITY_DAYS = 365;
export const DEFAULT_CA_VALIDITY_DAYS = 3650;
/** notBefore is backdated by this much so peers with a slightly slow clock accept a fresh certificate. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const SERIAL_BYTES = 16;
// @types/node-forge types valueTagClass as asn1.Class, but forge reads it as an asn1.Type (UTF8String = 12).
const UTF8 = forge.asn1.Type.UTF8 as unknown as forge.asn1.Class;

/** The DNS names a Service is reachable under from inside the cluster, most specific last. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  return [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
}

/** RSA 2048 through OpenSSL: about 50–200 ms, where forge's pure-JS fallback can take seconds. */
export function generateRsaKeyPair(): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}

/**
 * Builds a CA (or reuses `opts.ca`) and a serving certificate for the webhook Service, signed by it.
 * Throws on invalid options (bad IP, unusable CA); does no I/O.
 */
export function generateCertificates(opts: GenerateOptions): GeneratedCertificates {
  const o = resolveGenerateOptions(opts);
  const ca = opts.ca ? loadCa(opts.ca, o.now) : createCa(o);

  const keys = o.generateKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial(o.randomBytes);
  cert.validity.notBefore = new Date(o.now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(Math.min(o.now.getTime() + o.validityDays * DAY_MS, ca.cert.validity.notAfter.getTime()));
  cert.setSubject([{ name: "commonName", value: `${o.serviceName}.${o.namespace}.svc`, valueTagClass: UTF8 }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: ca.keyIdentifier },
    {
      name: "subjectAltName",
      altNames: [...o.dnsNames.map((value) => ({ type: 2, value })), ...o.ips.map((ip) => ({ type: 7, value: ipToBytes(ip) }))],
    },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());

  return {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    tlsCertPem: forge.pki.certificateToPem(cert),
    tlsKeyPem: keys.privateKeyPem,
  };
}

type ResolvedGenerateOptions = ReturnType<typeof resolveGenerateOptions>;

function resolveGenerateOptions(opts: GenerateOptions) {
  for (const [field, value] of [["serviceName", opts.serviceName], ["namespace", opts.namespace]] as const) {
    if (!value) throw new Error(`${field}: Required: a Service ${field === "namespace" ? "namespace" : "name"} is needed for the certificate's DNS names`);
  }
  const validityDays = opts.validityDays ?? DEFAULT_VALIDITY_DAYS;
  const caValidityDays = opts.caValidityDays ?? DEFAULT_CA_VALIDITY_DAYS;
  for (const [field, value] of [["validityDays", validityDays], ["caValidityDays", caValidityDays]] as const) {
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${field}: Invalid: ${value}: must be a positive number of days`);
  }
  for (const ip of opts.extraIps ?? []) {
    if (isIP(ip) === 0) throw new Error(`extraIps: Invalid: ${JSON.stringify(ip)}: must be an IPv4 or IPv6 address`);
  }
  for (const name of opts.extraDnsNames ?? []) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(name)) {
      throw new Error(`extraDnsNames: Invalid: ${JSON.stringify(name)}: must be a DNS name (letters, digits, '-' and '.'; a leading '*.' is allowed)`);
    }
  }
  return {
    serviceName: opts.serviceName,
    namespace: opts.namespace,
    dnsNames: unique([...serviceDnsNames(opts.serviceName, opts.namespace), "localhost", ...(opts.extraDnsNames ?? [])]),
    ips: unique(["127.0.0.1", "::1", ...(opts.extraIps ?? [])]),
    validityDays,
    caValidityDays,
    now: opts.now ?? new Date(),
    generateKeyPair: opts.generateKeyPair ?? generateRsaKeyPair,
    randomBytes: opts.randomBytes ?? ((n: number) => cryptoRandomBytes(n)),
  };
}

interface Ca {
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.rsa.PrivateKey;
  readonly certPem: string;
  readonly keyPem: string;
  /** The CA's subjectKeyIdentifier as a forge byte string, copied into the serving certificate's authorityKeyIdentifier. */
  readonly keyIdentifier: string;
}

function createCa(o: ResolvedGenerateOptions): Ca {
  const keys = o.generateKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial(o.randomBytes);
  cert.validity.notBefore = new Date(o.now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(o.now.getTime() + o.caValidityDays * DAY_MS);
  const subject = [{ name: "commonName", value: CA_COMMON_NAME, valueTagClass: UTF8 }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: true },
  ]);
  const key = forge.pki.privateKeyFromPem(keys.privateKeyPem);
  cert.sign(key, forge.md.sha256.create());
  return { cert, key, certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem, keyIdentifier: cert.generateSubjectKeyIdentifier().getBytes() };
}

function loadCa(pair: CaKeyPair, now: Date): Ca {
  let cert: forge.pki.Certificate;
  let key: forge.pki.rsa.PrivateKey;
  try {
    cert = forge.pki.certificateFromPem(pair.certPem);
  } catch (err) {
    throw new Error(`ca.certPem: Invalid: not a PEM X.509 RSA certificate: ${errorMessage(err)}`);
  }
  try {
    key = forge.pki.privateKeyFromPem(pair.keyPem);
  } catch (err) {
    throw new Error(`ca.keyPem: Invalid: not an unencrypted PEM RSA private key (PKCS#1 or PKCS#8): ${errorMessage(err)}`);
  }
  const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
  if (publicKey.n.compareTo(key.n) !== 0 || publicKey.e.compareTo(key.e) !== 0) {
    throw new Error("ca.keyPem: Invalid: the key does not belong to ca.certPem; pass the CA's own key");
  }
  const bc = cert.getExtension("basicConstraints") as { cA?: boolean } | undefined;
  if (!bc?.cA) throw new Error("ca.certPem: Invalid: not a CA certificate (basicConstraints cA is not true)");
  if (cert.validity.notAfter.getTime() <= now.getTime()) {
    throw new Error(`ca.certPem: Invalid: the CA expired at ${cert.validity.notAfter.toISOString()}; generate a new CA (and update the caBundle)`);
  }
  const ski = cert.getExtension("subjectKeyIdentifier") as { subjectKeyIdentifier?: string } | undefined;
  const keyIdentifier = ski?.subjectKeyIdentifier ? forge.util.hexToBytes(ski.subjectKeyIdentifier) : cert.generateSubjectKeyIdentifier().getBytes();
  return { cert, key, certPem: pair.certPem, keyPem: pair.keyPem, keyIdentifier };
}

/**
 * 16 random bytes as hex, positive and minimally DER-encoded: the high bit is cleared (a set bit would make
 * the INTEGER negative, which Go rejects) and the next bit set (a leading zero byte would be a non-minimal encoding).
 */
export function randomSerial(randomBytes: (size: number) => Uint8Array = cryptoRandomBytes): string {
  const bytes = Buffer.from(randomBytes(SERIAL_BYTES));
  if (bytes.length !== SERIAL_BYTES) throw new Error(`randomBytes returned ${bytes.length} bytes, want ${SERIAL_BYTES}`);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}

/** An IP address as a forge byte string (4 or 16 bytes), for an iPAddress subjectAltName. Accepts "::" and dotted IPv4 tails. */
export function ipToBytes(ip: string): string {
  const version = isIP(ip);
  if (version === 4) return String.fromCharCode(...ip.split(".").map(Number));
  if (version !== 6) throw new Error(`${JSON.stringify(ip)} is not an IP address`);
  const parseGroups = (s: string): number[] => {
    if (s === "") return [];
    const parts = s.split(":");
    const last = parts[parts.length - 1]!;
    const groups = parts.slice(0, -1).map((p) => parseInt(p, 16));
    if (last.includes(".")) {
      const [a, b, c, d] = last.split(".").map(Number) as [number, number, number, number];
      groups.push((a << 8) | b, (c << 8) | d);
    } else {
      groups.push(parseInt(last, 16));
    }
    return groups;
  };
  const [head = "", tail] = ip.split("%")[0]!.split("::");
  const left = parseGroups(head);
  const right = tail === undefined ? [] : parseGroups(tail);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return String.fromCharCode(...groups.flatMap((g) => [g >> 8, g & 0xff]));
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
