import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { generateCertificates, type GeneratedCertificates } from "./generate.js";
import * as sut from "./cert-files.js";

const OPTS = { serviceName: "kmm-preflight", namespace: "kmm-preflight" } as const;

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kmm-preflight-certs-"));
  tempDirs.push(dir);
  return dir;
}
after(() => Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true }))));

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
}

async function expectCertificateError(p: Promise<unknown>, kind: sut.CertificateErrorKind, files: string[]): Promise<sut.CertificateError> {
  let caught: unknown;
  await p.catch((err: unknown) => (caught = err));
  assert.ok(caught instanceof sut.CertificateError, `want a CertificateError, got ${String(caught)}`);
  assert.equal(caught.kind, kind);
  assert.deepEqual([...caught.files].sort(), [...files].sort());
  for (const f of files) assert.ok(caught.message.includes(f), `message names ${f}: ${caught.message}`);
  return caught;
}

// Two serving certificates from one CA, generated once: key generation dominates the run time.
let a: GeneratedCertificates;
let b: GeneratedCertificates;
before(() => {
  a = generateCertificates(OPTS);
  b = generateCertificates({ ...OPTS, ca: { certPem: a.caCertPem, keyPem: a.caKeyPem } });
});

describe("ensureCertificates()", () => {
  describe("given a directory that does not exist yet", () => {
    let dir: string;
    let result: sut.EnsureResult;
    before(async () => {
      dir = path.join(await tempDir(), "nested", "certs");
      result = await sut.ensureCertificates(dir, OPTS);
    });

    it("generates ca.crt, ca.key, tls.crt and tls.key, and says so", async () => {
      assert.equal(result.generated, true);
      assert.match(result.reason ?? "", /generated a new CA/);
      assert.deepEqual((await readdir(dir)).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    });

    it("makes the keys readable by the owner only (0600) and the certificates 0644", async () => {
      const modes = Object.fromEntries(
        await Promise.all(["ca.crt", "ca.key", "tls.crt", "tls.key"].map(async (f) => [f, (await stat(path.join(dir, f))).mode & 0o777] as const)),
      );
      assert.deepEqual(modes, { "ca.crt": 0o644, "ca.key": 0o600, "tls.crt": 0o644, "tls.key": 0o600 });
    });

    it("writes a pair that readCertificates() accepts, for the Service's names", async () => {
      const loaded = await sut.readCertificates(dir);
      assert.ok(loaded.dnsNames.includes("kmm-preflight.kmm-preflight.svc"));
      assert.ok(new X509Certificate(loaded.cert).checkIssued(new X509Certificate(loaded.ca!)));
    });

    describe("and a second call", () => {
      it("keeps the files as they are", async () => {
        const before = await readFile(path.join(dir, "tls.crt"), "utf8");
        const again = await sut.ensureCertificates(dir, OPTS);
        assert.equal(again.generated, false);
        assert.match(again.reason ?? "", /already exist/);
        assert.equal(await readFile(path.join(dir, "tls.crt"), "utf8"), before);
      });
    });
  });

  describe("given a directory with a user's tls.crt and tls.key and nothing else", () => {
    it("writes nothing, not even a CA", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": b.tlsCertPem, "tls.key": b.tlsKeyPem });
      assert.equal((await sut.ensureCertificates(dir, OPTS)).generated, false);
      assert.deepEqual((await readdir(dir)).sort(), ["tls.crt", "tls.key"]);
    });
  });

  for (const present of ["tls.crt", "tls.key"] as const) {
    describe(`given only ${present}`, () => {
      it("refuses with an error naming both files and writes nothing", async () => {
        const dir = await tempDir();
        await writeFiles(dir, { [present]: present === "tls.crt" ? a.tlsCertPem : a.tlsKeyPem });
        await expectCertificateError(sut.ensureCertificates(dir, OPTS), "HalfPair", [path.join(dir, "tls.crt"), path.join(dir, "tls.key")]);
        assert.deepEqual(await readdir(dir), [present]);
      });
    });
  }

  describe("given ca.crt and ca.key but no serving pair", () => {
    it("issues a serving certificate from that CA and leaves the CA as it was", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "ca.crt": a.caCertPem, "ca.key": a.caKeyPem });
      const result = await sut.ensureCertificates(dir, OPTS);
      assert.equal(result.generated, true);
      assert.match(result.reason ?? "", /existing CA/);
      assert.equal(await readFile(path.join(dir, "ca.crt"), "utf8"), a.caCertPem);
      const loaded = await sut.readCertificates(dir);
      assert.ok(new X509Certificate(loaded.cert).verify(new X509Certificate(a.caCertPem).publicKey));
      assert.equal((await stat(path.join(dir, "tls.key"))).mode & 0o777, 0o600);
    });
  });

  describe("given ca.crt without ca.key", () => {
    it("refuses with an error naming both CA files", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "ca.crt": a.caCertPem });
      await expectCertificateError(sut.ensureCertificates(dir, OPTS), "HalfPair", [path.join(dir, "ca.crt"), path.join(dir, "ca.key")]);
    });
  });

  describe("given a path that cannot be created", () => {
    it("fails with NotWritable naming the directory", async () => {
      const parent = await tempDir();
      await writeFile(path.join(parent, "file"), "");
      const dir = path.join(parent, "file", "certs");
      const err = await expectCertificateError(sut.ensureCertificates(dir, OPTS), "NotWritable", [dir]);
      assert.match(err.message, /kubernetes\.io\/tls Secret/);
    });
  });

  describe("given a read-only directory", { skip: process.getuid?.() === 0 ? "root ignores directory permissions" : false }, () => {
    it("fails with NotWritable naming the directory", async () => {
      const dir = await tempDir();
      await chmod(dir, 0o555);
      try {
        await expectCertificateError(sut.ensureCertificates(dir, OPTS), "NotWritable", [dir]);
      } finally {
        await chmod(dir, 0o755);
      }
    });
  });
});

describe("readCertificates()", () => {
  describe("given a valid pair and CA", () => {
    it("returns the PEMs, the leaf's fingerprint, DNS names and validity", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem, "tls.key": a.tlsKeyPem, "ca.crt": a.caCertPem });
      const loaded = await sut.readCertificates(dir);
      const x509 = new X509Certificate(a.tlsCertPem);
      assert.equal(loaded.cert, a.tlsCertPem);
      assert.equal(loaded.key, a.tlsKeyPem);
      assert.equal(loaded.ca, a.caCertPem);
      assert.equal(loaded.fingerprint, x509.fingerprint256);
      assert.equal(loaded.notAfter.getTime(), Date.parse(x509.validTo));
      assert.equal(loaded.notBefore.getTime(), Date.parse(x509.validFrom));
      assert.deepEqual(loaded.dnsNames, [
        "kmm-preflight",
        "kmm-preflight.kmm-preflight",
        "kmm-preflight.kmm-preflight.svc",
        "kmm-preflight.kmm-preflight.svc.cluster.local",
        "localhost",
      ]);
    });
  });

  describe("given the layout of a mounted Secret (files are symlinks into ..data)", () => {
    it("reads through the links", async () => {
      const dir = await tempDir();
      await writeFiles(path.join(dir, "..2026_01_15_12_00_00.1"), { "tls.crt": a.tlsCertPem, "tls.key": a.tlsKeyPem, "ca.crt": a.caCertPem });
      await symlink("..2026_01_15_12_00_00.1", path.join(dir, "..data"));
      for (const f of ["tls.crt", "tls.key", "ca.crt"]) await symlink(path.join("..data", f), path.join(dir, f));
      assert.equal((await sut.readCertificates(dir)).fingerprint, new X509Certificate(a.tlsCertPem).fingerprint256);
      assert.equal((await sut.ensureCertificates(dir, OPTS)).generated, false);
    });
  });

  describe("given a key that belongs to another certificate", () => {
    it("fails with Mismatch naming tls.crt and tls.key", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem, "tls.key": b.tlsKeyPem });
      const err = await expectCertificateError(sut.readCertificates(dir), "Mismatch", [path.join(dir, "tls.crt"), path.join(dir, "tls.key")]);
      assert.match(err.message, /replace both with a matching pair/);
    });
  });

  describe("given no tls.key", () => {
    it("fails with NotFound naming tls.key", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem });
      await expectCertificateError(sut.readCertificates(dir), "NotFound", [path.join(dir, "tls.key")]);
    });
  });

  describe("given a tls.crt that is not a certificate", () => {
    it("fails with Invalid naming tls.crt", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "tls.key": a.tlsKeyPem });
      await expectCertificateError(sut.readCertificates(dir), "Invalid", [path.join(dir, "tls.crt")]);
    });
  });

  describe("given a tls.key that is not a key", () => {
    it("fails with Invalid naming tls.key", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem, "tls.key": a.tlsCertPem });
      await expectCertificateError(sut.readCertificates(dir), "Invalid", [path.join(dir, "tls.key")]);
    });
  });

  describe("given a ca.crt that is not a certificate", () => {
    it("fails with Invalid naming ca.crt", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem, "tls.key": a.tlsKeyPem, "ca.crt": "garbage" });
      await expectCertificateError(sut.readCertificates(dir), "Invalid", [path.join(dir, "ca.crt")]);
    });
  });

  describe("given an empty ca.crt (as cert-manager's ACME issuer writes)", () => {
    it("returns no CA", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem, "tls.key": a.tlsKeyPem, "ca.crt": "" });
      assert.equal((await sut.readCertificates(dir)).ca, undefined);
    });
  });

  describe("given a tls.crt holding the leaf followed by its issuer", () => {
    it("describes the leaf", async () => {
      const dir = await tempDir();
      await writeFiles(dir, { "tls.crt": a.tlsCertPem + a.caCertPem, "tls.key": a.tlsKeyPem });
      assert.equal((await sut.readCertificates(dir)).fingerprint, new X509Certificate(a.tlsCertPem).fingerprint256);
    });
  });
});

describe("hashCertificatePems()", () => {
  it("changes when any of the three files changes, including which file holds which text", () => {
    const base = { cert: "x", key: "y", ca: "z" };
    const hashes = new Set([
      sut.hashCertificatePems(base),
      sut.hashCertificatePems({ ...base, ca: "" }),
      sut.hashCertificatePems({ cert: "x", key: "y" }),
      sut.hashCertificatePems({ ...base, cert: "xy", key: "" }),
      sut.hashCertificatePems({ ...base, key: "w" }),
    ]);
    assert.equal(hashes.size, 4, "a missing ca.crt and an empty one hash alike; everything else differs");
  });
});
