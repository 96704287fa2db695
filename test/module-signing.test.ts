import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { loadSigningKey, signKernelModule, type ModuleHash, type SigningKey } from "../src/sign/index.js";
import { elfModule } from "./support/elf-module.js";
import { modinfoField, opensslVerify, run, scratch, splitSignedModule } from "./support/module-verify.js";

// Signing for real: modules signed by src/sign, checked by modinfo (kmod with libcrypto) and
// `openssl cms -verify`, with keys and certificates made by `openssl req -x509` as KMM users make them.

interface KeyFiles {
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly keyPath: string;
  readonly certPath: string;
}

function load(k: KeyFiles): SigningKey {
  const r = loadSigningKey(k.key, k.cert);
  if (!r.ok) throw new Error(r.reason);
  return r.key;
}

function sign(bytes: Buffer, key: SigningKey, hash?: ModuleHash): Buffer {
  const r = signKernelModule(bytes, key, hash);
  if (!r.ok) throw new Error(r.reason);
  return r.signed;
}

describe("module signing checked by modinfo and openssl", () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  let rsa: KeyFiles;
  let other: KeyFiles;
  let impostor: KeyFiles;
  let ec: KeyFiles;
  const module = elfModule({ text: Buffer.from([0xc3]) });

  /** `openssl req -x509` with a new key; extra args go to req. */
  async function selfSigned(name: string, newkey: string[], extra: string[] = []): Promise<KeyFiles> {
    const keyPath = path.join(s.dir, `${name}.key`);
    const certPath = path.join(s.dir, `${name}.crt`);
    const r = await run("openssl", ["req", "-x509", ...newkey, "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "30", ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return { key: await readFile(keyPath), cert: await readFile(certPath), keyPath, certPath };
  }

  before(async () => {
    s = await scratch();
    rsa = await selfSigned("rsa", ["-newkey", "rsa:2048"], ["-subj", "/CN=Driver signing key/O=Example Inc", "-set_serial", "4660"]);
    other = await selfSigned("other", ["-newkey", "rsa:2048"], ["-subj", "/CN=Someone else"]);
    // Same subject (so the same issuer) and serial number as `rsa`, another key: the signer lookup
    // finds it, and only the signature check can tell.
    impostor = await selfSigned("impostor", ["-newkey", "rsa:2048"], ["-subj", "/CN=Driver signing key/O=Example Inc", "-set_serial", "4660"]);
    ec = await selfSigned("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-subj", "/CN=EC signing key"]);
  });
  after(() => s?.done());

  describe("given an RSA key and certificate from openssl req -x509 (PKCS#8 PEM)", () => {
    it("modinfo shows the signer, the key's serial number and the hash", async () => {
      const file = await s.file("signed.ko", sign(module, load(rsa)));
      assert.equal(await modinfoField(file, "signer"), "Driver signing key");
      assert.equal(await modinfoField(file, "sig_key"), "12:34");
      assert.equal(await modinfoField(file, "sig_hashalgo"), "sha256");
      assert.equal(await modinfoField(file, "sig_id"), "PKCS#7");
      assert.equal(await modinfoField(file, "license"), "GPL");
    });

    it("openssl cms -verify accepts the detached signature over the unsigned bytes", async () => {
      const r = await opensslVerify(sign(module, load(rsa)), rsa.cert);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Verification successful/);
    });

    it("writes exactly the bytes of `openssl cms -sign -binary -noattr -nocerts -nosmimecap` (sign-file's flags)", async () => {
      const content = await s.file("module.unsigned", module);
      const out = path.join(s.dir, "openssl.p7s");
      const r = await run("openssl", ["cms", "-sign", "-binary", "-noattr", "-nocerts", "-nosmimecap", "-md", "sha256", "-outform", "DER", "-signer", rsa.certPath, "-inkey", rsa.keyPath, "-in", content, "-out", out]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(splitSignedModule(sign(module, load(rsa))).pkcs7, await readFile(out));
    });
  });

  describe("given sha384 and sha512", () => {
    for (const hash of ["sha384", "sha512"] as const) {
      it(`modinfo shows ${hash} and openssl verifies`, async () => {
        const signed = sign(module, load(rsa), hash);
        assert.equal(await modinfoField(await s.file(`signed-${hash}.ko`, signed), "sig_hashalgo"), hash);
        assert.equal((await opensslVerify(signed, rsa.cert)).code, 0);
      });
    }
  });

  describe("given the wrong certificate or altered bytes", () => {
    it("openssl cannot find the signer in a certificate of another subject", async () => {
      const r = await opensslVerify(sign(module, load(rsa)), other.cert);
      assert.notEqual(r.code, 0);
    });
    it("openssl refuses the signature against a certificate naming the same signer with another key", async () => {
      const r = await opensslVerify(sign(module, load(rsa)), impostor.cert);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /signature failure|verification failure/i);
    });
    it("openssl refuses the signature over a module with one byte changed", async () => {
      const signed = sign(module, load(rsa));
      const tampered = Buffer.from(splitSignedModule(signed).unsigned);
      tampered[tampered.length - 1] = tampered.at(-1)! ^ 0x01;
      const r = await opensslVerify(signed, rsa.cert, { content: tampered });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /verification failure|digest failure|content verify error/i);
    });
    it("refuses to sign with a key that does not belong to the certificate", () => {
      const r = loadSigningKey(rsa.key, impostor.cert);
      assert.equal(r.ok ? "ok" : r.problem, "mismatch");
    });
  });

  describe("given a PKCS#1 key and a DER certificate", () => {
    it("signs as with PEM, byte for byte", async () => {
      const pkcs1 = await run("openssl", ["pkey", "-in", rsa.keyPath, "-traditional"]);
      assert.match(pkcs1.stdout, /BEGIN RSA PRIVATE KEY/);
      const der = path.join(s.dir, "rsa.der");
      assert.equal((await run("openssl", ["x509", "-in", rsa.certPath, "-outform", "DER", "-out", der])).code, 0);
      const fromDer = loadSigningKey(Buffer.from(pkcs1.stdout), await readFile(der));
      assert.ok(fromDer.ok, fromDer.ok ? "" : fromDer.reason);
      assert.deepEqual(sign(module, fromDer.key), sign(module, load(rsa)));
    });
  });

  describe("given an ECDSA P-256 key", () => {
    it("modinfo shows the signer and openssl verifies", async () => {
      const signed = sign(module, load(ec));
      assert.equal(await modinfoField(await s.file("signed-ec.ko", signed), "signer"), "EC signing key");
      const r = await opensslVerify(signed, ec.cert);
      assert.equal(r.code, 0, r.stderr);
    });
  });

  describe("given a module that was already signed with another key", () => {
    it("replaces that signature: modinfo shows ours, openssl verifies it over the original module", async () => {
      const resigned = sign(sign(module, load(other)), load(rsa));
      assert.equal(await modinfoField(await s.file("resigned.ko", resigned), "signer"), "Driver signing key");
      assert.deepEqual(splitSignedModule(resigned).unsigned, module);
      assert.equal((await opensslVerify(resigned, rsa.cert)).code, 0);
    });
  });

  describe("given an object compiled by gcc", { skip: !existsSync("/usr/bin/gcc") && "gcc is not installed" }, () => {
    it("modinfo reads the module's own fields and the signature", async () => {
      const source = await s.file("m.c", 'static const char l[] __attribute__((section(".modinfo"), used, aligned(1))) = "license=GPL";\nint init_module(void) { return 0; }\n');
      const object = path.join(s.dir, "m.ko");
      const cc = await run("/usr/bin/gcc", ["-c", "-o", object, source]);
      assert.equal(cc.code, 0, cc.stderr);
      const signed = sign(await readFile(object), load(rsa));
      const file = await s.file("m-signed.ko", signed);
      assert.equal(await modinfoField(file, "license"), "GPL");
      assert.equal(await modinfoField(file, "signer"), "Driver signing key");
      assert.equal((await opensslVerify(signed, rsa.cert)).code, 0);
    });
  });
});
