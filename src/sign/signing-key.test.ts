import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { certDer, ecPem, ed25519Pem, issued, reencode, selfSigned } from "../../test/support/signing-keys.js";
import { bytesOf, childrenOf, readTlv } from "./der.js";
import * as sut from "./signing-key.js";

const pem = (s: string) => Buffer.from(s);

describe("loadSigningKey()", () => {
  describe("given the key in every encoding sign-file (OpenSSL) reads", () => {
    for (const [type, format] of [["pkcs1", "pem"], ["pkcs8", "pem"], ["pkcs1", "der"], ["pkcs8", "der"]] as const) {
      it(`accepts ${type} ${format}`, () => {
        const r = sut.loadSigningKey(reencode(issued().keyPem, type, format), pem(issued().certPem));
        assert.ok(r.ok, r.ok ? "" : r.reason);
        assert.equal(r.key.keyType, "rsa");
      });
    }
  });

  describe("given the certificate as PEM or DER", () => {
    it("names the signer by the certificate's issuer and serial number, not its subject", () => {
      const { keyPem, certPem, issuerCertPem } = issued();
      for (const cert of [pem(certPem), certDer(certPem)]) {
        const r = sut.loadSigningKey(pem(keyPem), cert);
        assert.ok(r.ok, r.ok ? "" : r.reason);
        const x = new X509Certificate(certPem);
        assert.equal(r.key.serialNumber.subarray(2).toString("hex").replace(/^00/, "").toUpperCase(), x.serialNumber.replace(/^0+/, "").padStart(2, "0"));
        // The issuer Name is the CA's subject Name, byte for byte.
        const ca = new X509Certificate(issuerCertPem).raw;
        const caTbs = childrenOf(ca, childrenOf(ca, readTlv(ca, 0))[0]!);
        assert.deepEqual(r.key.issuer, bytesOf(ca, caTbs[5]!));
        assert.match(r.key.subject, /CN=module-signer/);
      }
    });
  });

  describe("given a key that belongs to another certificate", () => {
    it("says mismatch", () => {
      const r = sut.loadSigningKey(pem(selfSigned().keyPem), pem(issued().certPem));
      assert.equal(r.ok ? "ok" : r.problem, "mismatch");
    });
  });

  describe("given a key or certificate that is not one", () => {
    const cases: [string, Buffer, Buffer, sut.SigningKeyProblem][] = [
      ["a certificate where the key goes", pem(issued().certPem), pem(issued().certPem), "key"],
      ["garbage as the key", Buffer.from("not a key"), pem(issued().certPem), "key"],
      ["an encrypted key", pem("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"), pem(issued().certPem), "key"],
      ["an Ed25519 key", pem(ed25519Pem()), pem(issued().certPem), "key"],
      ["an EC key on a curve the kernel does not verify", pem(ecPem("secp256k1")), pem(issued().certPem), "key"],
      ["the key where the certificate goes", pem(issued().keyPem), pem(issued().keyPem), "certificate"],
      ["an empty certificate", pem(issued().keyPem), Buffer.alloc(0), "certificate"],
    ];
    for (const [what, key, cert, problem] of cases) {
      it(`says ${problem} for ${what}`, () => {
        const r = sut.loadSigningKey(key, cert);
        assert.equal(r.ok ? "ok" : r.problem, problem);
      });
    }
  });

  describe("given an EC key on P-256 with a certificate of another key", () => {
    it("reads the key, then says mismatch", () => {
      const r = sut.loadSigningKey(pem(ecPem("prime256v1")), pem(issued().certPem));
      assert.equal(r.ok ? "ok" : r.problem, "mismatch");
    });
  });
});

describe("issuerAndSerial()", () => {
  describe("given something that is DER but not a certificate", () => {
    it("throws", () => {
      assert.throws(() => sut.issuerAndSerial(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])));
    });
  });
});
