import { createHash, createPrivateKey, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../log/logger.js";
import { generateCertificates, type GeneratedCertificates, type GenerateOptions } from "./generate.js";

/** Key names of a kubernetes.io/tls Secret, so a mounted Secret and a generated directory look the same. */
export const TLS_CERT_FILE = "tls.crt";
export const TLS_KEY_FILE = "tls.key";
export const CA_CERT_FILE = "ca.crt";
/** Only in a generated development directory, so the serving certificate can be re-issued without a new caBundle. Never part of the Secret. */
export const CA_KEY_FILE = "ca.key";

const PRIVATE_FILE_MODE = 0o600;
const PUBLIC_FILE_MODE = 0o644;

export interface LoadedCertificates {
  /** tls.crt as PEM (may hold a chain, leaf first). */
  readonly cert: string;
  /** tls.key as PEM. */
  readonly key: string;
  /** ca.crt as PEM; undefined when the file is missing or empty (cert-manager's ACME issuer leaves it empty). */
  readonly ca?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DNS subjectAltNames of the leaf certificate. */
  readonly dnsNames: string[];
  /** SHA-256 fingerprint of the leaf certificate, colon-separated hex as Node prints it. */
  readonly fingerprint: string;
}

/** PEM text as read from disk, before validation. */
export interface CertificatePems {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

export type CertificateErrorKind = "NotFound" | "HalfPair" | "Invalid" | "Mismatch" | "NotWritable";

/** A certificate directory problem; `files` are the paths involved, so logs and tests need not parse the message. */
export class CertificateError extends Error {
  override readonly name = "CertificateError";
  constructor(
    readonly kind: CertificateErrorKind,
    readonly files: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EnsureResult {
  readonly generated: boolean;
  /** Why files were or were not written, for the startup log. */
  readonly reason?: string;
}

/**
 * Makes sure `dir` holds a serving certificate and key.
 * - tls.crt and tls.key both present (a mounted Secret, the user's own, or an earlier run): nothing is written.
 * - only one of them present: throws (HalfPair), since generating would overwrite half of someone's pair.
 * - neither, but ca.crt and ca.key present: issues a new serving certificate from that CA, so the caBundle stays valid.
 * - nothing: generates a CA and a serving certificate.
 * Files are written atomically (temp file + rename); keys get mode 0600, certificates 0644.
 * The contents are not validated here; use {@link readCertificates}.
 */
export async function ensureCertificates(dir: string, opts: GenerateOptions, log?: Logger): Promise<EnsureResult> {
  const p = filePaths(dir);
  const [tlsCert, tlsKey, caCert, caKey] = await Promise.all([exists(p.cert), exists(p.key), exists(p.ca), exists(p.caKey)]);

  if (tlsCert && tlsKey) {
    const reason = `${TLS_CERT_FILE} and ${TLS_KEY_FILE} already exist in ${dir}`;
    log?.debug("using existing certificates", { dir, reason });
    return { generated: false, reason };
  }
  if (tlsCert !== tlsKey) {
    const [have, missing] = tlsCert ? [p.cert, p.key] : [p.key, p.cert];
    throw new CertificateError(
      "HalfPair",
      [have, missing],
      `${have} exists but ${missing} does not: provide both ${TLS_CERT_FILE} and ${TLS_KEY_FILE}, or remove ${have} to have them generated`,
    );
  }
  if (caCert !== caKey) {
    const [have, missing] = caCert ? [p.ca, p.caKey] : [p.caKey, p.ca];
    throw new CertificateError(
      "HalfPair",
      [have, missing],
      `${have} exists but ${missing} does not, so no serving certificate can be issued from that CA: ` +
        `provide ${TLS_CERT_FILE} and ${TLS_KEY_FILE}, add ${path.basename(missing)}, or remove ${have} to generate a new CA (and update the webhook's caBundle)`,
    );
  }

  let generated: GeneratedCertificates;
  let reason: string;
  if (caCert && caKey) {
    const [certPem, keyPem] = await Promise.all([readText(p.ca), readText(p.caKey)]);
    try {
      generated = generateCertificates({ ...opts, ca: { certPem, keyPem } });
    } catch (err) {
      throw new CertificateError("Invalid", [p.ca, p.caKey], `cannot issue a serving certificate from ${p.ca} and ${p.caKey}: ${errorMessage(err)}`, { cause: err });
    }
    reason = `issued a new serving certificate from the existing CA in ${dir}`;
  } else {
    generated = generateCertificates(opts);
    reason = `generated a new CA and serving certificate in ${dir}`;
  }

  try {
    await mkdir(dir, { recursive: true });
    // Each file appears whole (rename); tls.crt comes last, so a reader that finds it also finds its key.
    if (!caKey) await writeAtomic(p.caKey, generated.caKeyPem, PRIVATE_FILE_MODE);
    if (!caCert) await writeAtomic(p.ca, generated.caCertPem, PUBLIC_FILE_MODE);
    await writeAtomic(p.key, generated.tlsKeyPem, PRIVATE_FILE_MODE);
    await writeAtomic(p.cert, generated.tlsCertPem, PUBLIC_FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new CertificateError(
      "NotWritable",
      [dir],
      `cannot write certificates to ${dir} (${code || errorMessage(err)}): mount a kubernetes.io/tls Secret with ${TLS_CERT_FILE} and ${TLS_KEY_FILE} there, or use a writable directory`,
      { cause: err },
    );
  }
  log?.info("wrote certificates", { dir, reason, serviceName: opts.serviceName, namespace: opts.namespace });
  return { generated: true, reason };
}

/** Reads tls.crt, tls.key and the optional ca.crt from `dir` and validates them (see {@link parseCertificates}). */
export async function readCertificates(dir: string): Promise<LoadedCertificates> {
  return parseCertificates(await readCertificateFiles(dir), dir);
}

/** Reads the PEM files without validating them. tls.crt and tls.key are required; a missing ca.crt is undefined. */
export async function readCertificateFiles(dir: string): Promise<CertificatePems> {
  const p = filePaths(dir);
  const [cert, key, ca] = await Promise.all([readRequired(p.cert), readRequired(p.key), readOptional(p.ca)]);
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

/**
 * Validates PEM text: tls.crt parses as X.509, tls.key as a private key, the key belongs to the certificate,
 * and a non-empty ca.crt parses. `dir` only names the files in errors. Whether tls.crt chains to ca.crt is
 * not checked: ca.crt may be a root above intermediates that tls.crt carries.
 */
export function parseCertificates(pems: CertificatePems, dir: string): LoadedCertificates {
  const p = filePaths(dir);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pems.cert);
  } catch (err) {
    throw new CertificateError("Invalid", [p.cert], `${p.cert}: not a PEM X.509 certificate (${errorMessage(err)}): replace it with the serving certificate`, { cause: err });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pems.key);
  } catch (err) {
    throw new CertificateError("Invalid", [p.key], `${p.key}: not an unencrypted PEM private key (${errorMessage(err)}): replace it with the serving certificate's key`, { cause: err });
  }
  if (!x509.checkPrivateKey(key)) {
    throw new CertificateError(
      "Mismatch",
      [p.cert, p.key],
      `${p.cert} and ${p.key} do not match: the key is not the certificate's private key; replace both with a matching pair (a rotation may be half-written)`,
    );
  }
  const ca = pems.ca?.trim() ? pems.ca : undefined;
  if (ca !== undefined) {
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new CertificateError("Invalid", [p.ca], `${p.ca}: not a PEM X.509 certificate (${errorMessage(err)}): replace it with the issuing CA, or remove it`, { cause: err });
    }
  }
  return {
    cert: pems.cert,
    key: pems.key,
    ...(ca === undefined ? {} : { ca }),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    dnsNames: dnsNamesOf(x509),
    fingerprint: x509.fingerprint256,
  };
}

/** SHA-256 over the PEM files as read, to notice any change (including ca.crt) cheaply. */
export function hashCertificatePems(pems: CertificatePems): string {
  const h = createHash("sha256");
  for (const part of [pems.cert, pems.key, pems.ca ?? ""]) h.update(`${Buffer.byteLength(part)}:`).update(part);
  return h.digest("hex");
}

function filePaths(dir: string) {
  return {
    cert: path.join(dir, TLS_CERT_FILE),
    key: path.join(dir, TLS_KEY_FILE),
    ca: path.join(dir, CA_CERT_FILE),
    caKey: path.join(dir, CA_KEY_FILE),
  };
}

/** "DNS:a, DNS:b, IP Address:1.2.3.4"; Node JSON-quotes entries with unusual characters (CVE-2021-44532). */
function dnsNamesOf(x509: X509Certificate): string[] {
  const san = x509.subjectAltName;
  if (!san) return [];
  return (san.match(/(?:^|, )DNS:(?:"(?:[^"\\]|\\.)*"|[^,]*)/g) ?? []).map((m) => {
    const v = m.replace(/^(, )?DNS:/, "");
    return v.startsWith('"') ? (JSON.parse(v) as string) : v;
  });
}

/** Follows symlinks (a mounted Secret's files are links into `..data`): a dangling link counts as missing. */
async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw new CertificateError("Invalid", [file], `cannot access ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

async function readText(file: string): Promise<string> {
  return readFile(file, "utf8");
}

async function readRequired(file: string): Promise<string> {
  try {
    return await readText(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CertificateError(
        "NotFound",
        [file],
        `${file} not found: mount a kubernetes.io/tls Secret with ${TLS_CERT_FILE} and ${TLS_KEY_FILE} at ${path.dirname(file)}, or let kmm-preflight generate them there`,
        { cause: err },
      );
    }
    throw new CertificateError("Invalid", [file], `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readText(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CertificateError("Invalid", [file], `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Writes beside the target and renames over it, so readers see the old file or the new one, never a prefix. */
async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, data, { mode, flag: "wx" });
    await chmod(tmp, mode); // the umask may have narrowed 0644
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
