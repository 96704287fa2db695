import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify, X509Certificate } from "node:crypto";
import { elfRelocatable, issued } from "../../test/support/signing-keys.js";
import { childrenOf, readTlv, TAG } from "./der.js";
import { loadSigningKey, type SigningKey } from "./signing-key.js";
import { MODULE_SIGNATURE_MAGIC, parseModuleSignature } from "./module-signature.js";
import * as sut from "./sign-module.js";

function signingKey(): SigningKey {
  const r = loadSigningKey(Buffer.from(issued().keyPem), Buffer.from(issued().certPem));
  if (!r.ok) throw new Error(r.reason);
  return r.key;
}

/** The SignerInfo's fields of a ContentInfo, and whether SignedData carries certificates. */
function signerInfoOf(pkcs7: Buffer) {
  const content = childrenOf(pkcs7, readTlv(pkcs7, 0))[1]!;
  const signedData = childrenOf(pkcs7, childrenOf(pkcs7, content)[0]!);
  const signerInfos = signedData[signedData.length - 1]!;
  const fields = childrenOf(pkcs7, childrenOf(pkcs7, signerInfos)[0]!);
  return { signedDataFields: signedData.length, fields, signature: pkcs7.subarray(fields[4]!.contentStart, fields[4]!.end) };
}

describe("signKernelModule()", () => {
  const key = signingKey();
  const module = elfRelocatable(".modinfo license=GPL");

  describe("given an unsigned module", () => {
    const r = sut.signKernelModule(module, key);
    it("appends a signature the certificate's public key verifies over the unsigned bytes (sha256 by default)", () => {
      assert.ok(r.ok);
      assert.ok(r.signed.subarray(0, module.length).equals(module));
      assert.ok(r.signed.subarray(-MODULE_SIGNATURE_MAGIC.length).equals(MODULE_SIGNATURE_MAGIC));
      const parsed = parseModuleSignature(r.signed);
      assert.ok(parsed.kind === "signed");
      assert.ok(parsed.content.equals(module));
      const { signature } = signerInfoOf(parsed.pkcs7);
      const publicKey = createPublicKey(new X509Certificate(issued().certPem).publicKey.export({ type: "spki", format: "pem" }));
      assert.ok(verify("sha256", module, publicKey, signature));
      assert.ok(!verify("sha256", Buffer.concat([module, Buffer.from("x")]), publicKey, signature));
      assert.equal(r.replacedSignatures, 0);
    });
    it("embeds no certificate and no signed attributes (version, digestAlgorithms, encapContentInfo, signerInfos; SignerInfo of five fields)", () => {
      assert.ok(r.ok);
      const parsed = parseModuleSignature(r.signed);
      assert.ok(parsed.kind === "signed");
      const { signedDataFields, fields } = signerInfoOf(parsed.pkcs7);
      assert.equal(signedDataFields, 4);
      assert.deepEqual(fields.map((f) => f.tag), [TAG.INTEGER, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE, TAG.OCTET_STRING]);
    });
  });

  describe("given sha384 and sha512", () => {
    for (const hash of ["sha384", "sha512"] as const) {
      it(`signs with ${hash}`, () => {
        const r = sut.signKernelModule(module, key, hash);
        assert.ok(r.ok);
        const parsed = parseModuleSignature(r.signed);
        assert.ok(parsed.kind === "signed");
        const publicKey = new X509Certificate(issued().certPem).publicKey;
        assert.ok(verify(hash, module, publicKey, signerInfoOf(parsed.pkcs7).signature));
      });
    }
  });

  describe("given a module that is already signed, once or twice", () => {
    it("removes the signatures and signs the module itself: the same bytes as signing it unsigned", () => {
      const once = sut.signKernelModule(module, key);
      assert.ok(once.ok);
      const twice = sut.signKernelModule(Buffer.concat([once.signed]), key, "sha512");
      assert.ok(twice.ok);
      const again = sut.signKernelModule(twice.signed, key);
      assert.ok(again.ok);
      assert.ok(again.signed.equals(once.signed));
      assert.equal(again.replacedSignatures, 1);
      assert.equal(sut.stripModuleSignatures(Buffer.concat([once.signed.subarray(0, -1), Buffer.from("\n")])).ok, true);
    });
  });

  describe("given a file that is not a kernel module", () => {
    const cases: [string, Buffer, RegExp][] = [
      ["an xz-compressed module", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]), /xz-compressed/],
      ["a zstd-compressed module", Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), /zstd-compressed/],
      ["a text file", Buffer.from("#!/bin/sh\necho hi\n"), /not an ELF object/],
      ["an ELF executable", (() => { const b = elfRelocatable(); b.writeUInt16LE(2, 16); return b; })(), /type 2/],
      ["a truncated trailer", Buffer.concat([elfRelocatable(), Buffer.alloc(3), MODULE_SIGNATURE_MAGIC]), /magic/],
    ];
    for (const [what, bytes, reason] of cases) {
      it(`refuses ${what}`, () => {
        const r = sut.signKernelModule(bytes, key);
        assert.equal(r.ok, false);
        if (!r.ok) assert.match(r.reason, reason);
      });
    }
  });

  describe("given a big-endian ELF relocatable object", () => {
    it("reads e_type in its byte order", () => {
      const b = elfRelocatable();
      b[5] = 2;
      b.writeUInt16BE(1, 16);
      assert.equal(sut.notAKernelModule(b), undefined);
    });
  });
});
