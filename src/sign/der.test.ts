import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./der.js";

describe("objectIdentifier()", () => {
  describe("given OIDs with arcs of one, two and three base-128 groups", () => {
    it("encodes them as X.690 says (sha256, rsaEncryption, signedData)", () => {
      assert.equal(sut.objectIdentifier("2.16.840.1.101.3.4.2.1").toString("hex"), "0609608648016503040201");
      assert.equal(sut.objectIdentifier("1.2.840.113549.1.1.1").toString("hex"), "06092a864886f70d010101");
      assert.equal(sut.objectIdentifier("1.2.840.113549.1.7.2").toString("hex"), "06092a864886f70d010702");
    });
  });
  describe("given something that is not a dotted OID", () => {
    it("throws RangeError", () => {
      for (const bad of ["", "1", "3.1", "1.2.x", "1..2"]) assert.throws(() => sut.objectIdentifier(bad), RangeError, bad);
    });
  });
});

describe("encode()", () => {
  describe("given contents of 127, 128 and 300 bytes", () => {
    it("uses the short form up to 127 and the long form beyond", () => {
      assert.deepEqual([...sut.encode(0x04, Buffer.alloc(127)).subarray(0, 2)], [0x04, 127]);
      assert.deepEqual([...sut.encode(0x04, Buffer.alloc(128)).subarray(0, 3)], [0x04, 0x81, 128]);
      assert.deepEqual([...sut.encode(0x04, Buffer.alloc(300)).subarray(0, 4)], [0x04, 0x82, 0x01, 0x2c]);
    });
  });
});

describe("readTlv() and childrenOf()", () => {
  describe("given a sequence of an integer and a long octet string", () => {
    it("finds both children with their bounds", () => {
      const der = sut.sequence(sut.smallInteger(1), sut.octetString(Buffer.alloc(200, 7)));
      const top = sut.readTlv(der, 0);
      assert.equal(top.tag, sut.TAG.SEQUENCE);
      assert.equal(top.end, der.length);
      const [int, octets] = sut.childrenOf(der, top);
      assert.deepEqual(sut.bytesOf(der, int!), Buffer.from([0x02, 0x01, 0x01]));
      assert.equal(octets!.end - octets!.contentStart, 200);
    });
  });
  describe("given BER or broken encodings", () => {
    const cases: [string, Buffer][] = [
      ["an indefinite length", Buffer.from([0x30, 0x80, 0x00, 0x00])],
      ["a length past the end", Buffer.from([0x04, 0x05, 0x00])],
      ["a multi-byte tag", Buffer.from([0x1f, 0x81, 0x01, 0x00])],
      ["a lone byte", Buffer.from([0x30])],
    ];
    for (const [what, der] of cases) it(`refuses ${what}`, () => assert.throws(() => sut.readTlv(der, 0), sut.DerError));
  });
});
