import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./module-signature.js";

describe("moduleSignatureInfo()", () => {
  describe("given a signature length", () => {
    it("is struct module_signature: algo, hash 0, id_type PKCS#7, no signer or key id, 3 pad bytes, big-endian sig_len", () => {
      assert.equal(sut.moduleSignatureInfo(0x01020304).toString("hex"), "000002000000000001020304");
    });
  });
});

describe("appendModuleSignature()", () => {
  describe("given module bytes and a PKCS#7 message", () => {
    it("appends the message, the struct and the magic, which parseModuleSignature() splits again", () => {
      const signed = sut.appendModuleSignature(Buffer.from("module"), Buffer.from("pkcs7!"));
      assert.equal(signed.toString("latin1"), "modulepkcs7!\0\0\x02\0\0\0\0\0\0\0\0\x06~Module signature appended~\n");
      const parsed = sut.parseModuleSignature(signed);
      assert.equal(parsed.kind, "signed");
      if (parsed.kind !== "signed") return;
      assert.equal(parsed.content.toString(), "module");
      assert.equal(parsed.pkcs7.toString(), "pkcs7!");
    });
  });
});

describe("parseModuleSignature()", () => {
  describe("given a trailer the kernel's mod_check_sig() refuses", () => {
    const trailer = (edit: (info: Buffer) => void) => {
      const info = sut.moduleSignatureInfo(3);
      edit(info);
      return Buffer.concat([Buffer.from("modsig"), info, sut.MODULE_SIGNATURE_MAGIC]);
    };
    const cases: [string, Buffer][] = [
      ["id_type 0 (not PKCS#7)", trailer((i) => (i[2] = 0))],
      ["a signer name length", trailer((i) => (i[3] = 1))],
      ["padding set", trailer((i) => (i[7] = 1))],
      ["an empty signature", trailer((i) => i.writeUInt32BE(0, 8))],
    ];
    for (const [what, bytes] of cases) it(`says malformed for ${what}`, () => assert.equal(sut.parseModuleSignature(bytes).kind, "malformed"));
    it("says signed for the same trailer untouched", () => assert.equal(sut.parseModuleSignature(trailer(() => undefined)).kind, "signed"));
  });

  describe("given a file without the magic at its end", () => {
    it("says unsigned, even when the magic appears elsewhere", () => {
      assert.deepEqual(sut.parseModuleSignature(Buffer.from("~Module signature appended~\nand more")), { kind: "unsigned" });
      assert.deepEqual(sut.parseModuleSignature(Buffer.alloc(0)), { kind: "unsigned" });
    });
  });
  describe("given the magic without room for the struct", () => {
    it("says malformed", () => {
      assert.equal(sut.parseModuleSignature(Buffer.concat([Buffer.from("x"), sut.MODULE_SIGNATURE_MAGIC])).kind, "malformed");
    });
  });
  describe("given a sig_len larger than what precedes the struct", () => {
    it("says malformed", () => {
      const bytes = Buffer.concat([Buffer.from("abc"), sut.moduleSignatureInfo(4), sut.MODULE_SIGNATURE_MAGIC]);
      assert.equal(sut.parseModuleSignature(bytes).kind, "malformed");
      assert.equal(sut.parseModuleSignature(Buffer.concat([Buffer.from("abcd"), sut.moduleSignatureInfo(4), sut.MODULE_SIGNATURE_MAGIC])).kind, "signed");
    });
  });
});
