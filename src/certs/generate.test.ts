import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import forge from "node-forge";
import * as sut from "./generate.js";

const NOW = new Date("2026-01-15T12:00:00Z");
const DAY_MS = 24 * 60 * 60 * 1000;
const SERVICE = { serviceName: "kmm-preflight", namespace: "kmm-preflight" } as const;

function sans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? "").split(", ");
}

function extension<T>(pem: string, name: string): T & { critical?: boolean } {
  const ext = forge.pki.certificateFromPem(pem).getExtension(name);
  assert.ok(ext, `certificate has no ${name} extension`);
  return ext as T & { critical?: boolean };
}

describe("generateCertificates()", () => {
  describe("given a service name and namespace", () => {
    let out: sut.GeneratedCertificates;
    before(() => {
      out = sut.generateCertificates({ ...SERVICE, now: NOW });
    });

    it("puts every in-cluster DNS name of the Service, localhost and the loopback IPs in the serving certificate's SANs", () => {
      assert.deepEqual(sans(out.tlsCertPem), [
        "DNS:kmm-preflight",
        "DNS:kmm-preflight.kmm-preflight",
        "DNS:kmm-preflight.kmm-preflight.svc",
        "DNS:kmm-preflight.kmm-preflight.svc.cluster.local",
        "DNS:localhost",
        "IP Address:127.0.0.1",
        "IP Address:0:0:0:0:0:0:0:1",
      ]);
    });

    it("names the serving certificate <svc>.<ns>.svc and the CA kmm-preflight-ca", () => {
      assert.equal(new X509Certificate(out.tlsCertPem).subject, "CN=kmm-preflight.kmm-preflight.svc");
      assert.equal(new X509Certificate(out.tlsCertPem).issuer, "CN=kmm-preflight-ca");
      assert.equal(new X509Certificate(out.caCertPem).subject, "CN=kmm-preflight-ca");
    });

    it("signs the serving certificate with the CA", () => {
      const ca = new X509Certificate(out.caCertPem);
      const leaf = new X509Certificate(out.tlsCertPem);
      assert.ok(leaf.checkIssued(ca));
      assert.ok(leaf.verify(ca.publicKey));
      assert.ok(ca.verify(ca.publicKey), "the CA is self-signed");
    });

    it("signs with SHA-256", () => {
      for (const pem of [out.caCertPem, out.tlsCertPem]) {
        assert.equal(forge.pki.certificateFromPem(pem).siginfo.algorithmOid, forge.pki.oids["sha256WithRSAEncryption"]);
      }
    });

    it("returns private keys that belong to their certificates, RSA 2048", () => {
      for (const [certPem, keyPem] of [[out.caCertPem, out.caKeyPem], [out.tlsCertPem, out.tlsKeyPem]] as const) {
        const key = createPrivateKey(keyPem);
        assert.ok(new X509Certificate(certPem).checkPrivateKey(key));
        assert.equal(key.asymmetricKeyType, "rsa");
        assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
      }
    });

    it("marks the CA as a CA (critical basicConstraints, keyCertSign and cRLSign) with a subjectKeyIdentifier", () => {
      assert.equal(new X509Certificate(out.caCertPem).ca, true);
      const bc = extension<{ cA: boolean }>(out.caCertPem, "basicConstraints");
      assert.equal(bc.cA, true);
      assert.equal(bc.critical, true);
      const ku = extension<{ keyCertSign: boolean; cRLSign: boolean; digitalSignature: boolean }>(out.caCertPem, "keyUsage");
      assert.deepEqual([ku.keyCertSign, ku.cRLSign, ku.critical], [true, true, true]);
      assert.ok(extension<{ subjectKeyIdentifier: string }>(out.caCertPem, "subjectKeyIdentifier").subjectKeyIdentifier);
    });

    it("makes the serving certificate a non-CA for serverAuth only, with digitalSignature and keyEncipherment", () => {
      assert.equal(new X509Certificate(out.tlsCertPem).ca, false);
      assert.equal(extension<{ cA: boolean }>(out.tlsCertPem, "basicConstraints").cA, false);
      const ku = extension<Record<string, boolean>>(out.tlsCertPem, "keyUsage");
      assert.deepEqual([ku["digitalSignature"], ku["keyEncipherment"], ku["keyCertSign"]], [true, true, false]);
      const eku = extension<Record<string, boolean>>(out.tlsCertPem, "extKeyUsage");
      assert.deepEqual([eku["serverAuth"], eku["clientAuth"]], [true, undefined]);
    });

    it("points the serving certificate's authorityKeyIdentifier at the CA's subjectKeyIdentifier", () => {
      const ski = extension<{ subjectKeyIdentifier: string }>(out.caCertPem, "subjectKeyIdentifier").subjectKeyIdentifier;
      const aki = forge.pki.certificateFromPem(out.tlsCertPem).getExtension("authorityKeyIdentifier") as { value: string };
      // AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier }: the key id is the inner value.
      const keyId = forge.asn1.fromDer(aki.value).value[0] as forge.asn1.Asn1;
      assert.equal(forge.util.bytesToHex(keyId.value as string), ski);
    });

    it("backdates notBefore by five minutes and lasts 365 days (CA: 3650)", () => {
      const leaf = new X509Certificate(out.tlsCertPem);
      const ca = new X509Certificate(out.caCertPem);
      assert.equal(Date.parse(leaf.validFrom), NOW.getTime() - 5 * 60 * 1000);
      assert.equal(Date.parse(leaf.validTo), NOW.getTime() + 365 * DAY_MS);
      assert.equal(Date.parse(ca.validFrom), NOW.getTime() - 5 * 60 * 1000);
      assert.equal(Date.parse(ca.validTo), NOW.getTime() + 3650 * DAY_MS);
    });

    it("uses different positive 16-byte serial numbers", () => {
      const serials = [out.caCertPem, out.tlsCertPem].map((pem) => new X509Certificate(pem).serialNumber);
      for (const s of serials) {
        assert.match(s, /^[0-9A-F]{32}$/);
        assert.ok(parseInt(s.slice(0, 2), 16) < 0x80, `${s} would be negative`);
      }
      assert.notEqual(serials[0], serials[1]);
    });
  });

  describe("given extra DNS names and IPs", () => {
    it("adds them after the defaults, once each", () => {
      const out = sut.generateCertificates({
        ...SERVICE,
        extraDnsNames: ["webhook.example.com", "localhost"],
        extraIps: ["10.96.0.10", "fd00::a", "127.0.0.1"],
      });
      const names = sans(out.tlsCertPem);
      assert.deepEqual(names.slice(-3), ["IP Address:0:0:0:0:0:0:0:1", "IP Address:10.96.0.10", "IP Address:FD00:0:0:0:0:0:0:A"]);
      assert.ok(names.includes("DNS:webhook.example.com"));
      assert.equal(names.filter((n) => n === "DNS:localhost").length, 1);
      assert.equal(names.filter((n) => n === "IP Address:127.0.0.1").length, 1);
    });
  });

  describe("given validityDays", () => {
    it("sets the serving certificate's lifetime", () => {
      const out = sut.generateCertificates({ ...SERVICE, now: NOW, validityDays: 30 });
      assert.equal(Date.parse(new X509Certificate(out.tlsCertPem).validTo), NOW.getTime() + 30 * DAY_MS);
    });
  });

  describe("given an existing CA", () => {
    let first: sut.GeneratedCertificates;
    let second: sut.GeneratedCertificates;
    before(() => {
      first = sut.generateCertificates({ ...SERVICE, now: NOW, caValidityDays: 100 });
      second = sut.generateCertificates({ ...SERVICE, now: NOW, ca: { certPem: first.caCertPem, keyPem: first.caKeyPem } });
    });

    it("returns the CA unchanged", () => {
      assert.equal(second.caCertPem, first.caCertPem);
      assert.equal(second.caKeyPem, first.caKeyPem);
    });

    it("issues a new serving certificate and key that verify against it", () => {
      assert.notEqual(second.tlsKeyPem, first.tlsKeyPem);
      assert.notEqual(new X509Certificate(second.tlsCertPem).fingerprint256, new X509Certificate(first.tlsCertPem).fingerprint256);
      const ca = new X509Certificate(first.caCertPem);
      const leaf = new X509Certificate(second.tlsCertPem);
      assert.ok(leaf.checkIssued(ca));
      assert.ok(leaf.verify(ca.publicKey));
    });

    it("ends the serving certificate no later than the CA", () => {
      assert.equal(new X509Certificate(second.tlsCertPem).validTo, new X509Certificate(first.caCertPem).validTo);
    });
  });

  describe("given an unusable CA", () => {
    let a: sut.GeneratedCertificates;
    let b: sut.GeneratedCertificates;
    before(() => {
      a = sut.generateCertificates({ ...SERVICE, now: NOW });
      b = sut.generateCertificates({ ...SERVICE, now: NOW, ca: { certPem: a.caCertPem, keyPem: a.caKeyPem } });
    });

    it("rejects a key that is not the CA's", () => {
      assert.throws(() => sut.generateCertificates({ ...SERVICE, ca: { certPem: a.caCertPem, keyPem: b.tlsKeyPem } }), /^Error: ca\.keyPem: Invalid/);
    });

    it("rejects a certificate that is not a CA", () => {
      assert.throws(() => sut.generateCertificates({ ...SERVICE, ca: { certPem: b.tlsCertPem, keyPem: b.tlsKeyPem } }), /^Error: ca\.certPem: Invalid: not a CA/);
    });

    it("rejects an expired CA", () => {
      const later = new Date(NOW.getTime() + 3651 * DAY_MS);
      assert.throws(() => sut.generateCertificates({ ...SERVICE, now: later, ca: { certPem: a.caCertPem, keyPem: a.caKeyPem } }), /ca\.certPem: Invalid: the CA expired/);
    });

    it("rejects PEM that is not a certificate", () => {
      assert.throws(() => sut.generateCertificates({ ...SERVICE, ca: { certPem: a.caKeyPem, keyPem: a.caKeyPem } }), /^Error: ca\.certPem: Invalid/);
    });
  });

  describe("given invalid options", () => {
    const cases: Array<[string, Partial<sut.GenerateOptions>, RegExp]> = [
      ["an extra IP that is not an IP", { extraIps: ["10.0.0.300"] }, /^Error: extraIps: Invalid/],
      ["an extra DNS name with a space", { extraDnsNames: ["a b"] }, /^Error: extraDnsNames: Invalid/],
      ["an empty service name", { serviceName: "" }, /^Error: serviceName: Required/],
      ["zero validity days", { validityDays: 0 }, /^RangeError: validityDays: Invalid/],
    ];
    for (const [what, opts, want] of cases) {
      it(`throws before generating keys for ${what}`, () => {
        let keys = 0;
        const generateKeyPair = () => {
          keys++;
          return sut.generateRsaKeyPair();
        };
        assert.throws(() => sut.generateCertificates({ ...SERVICE, ...opts, generateKeyPair }), want);
        assert.equal(keys, 0);
      });
    }
  });
});

describe("serviceDnsNames()", () => {
  it("lists the short, namespaced, svc and cluster.local names", () => {
    assert.deepEqual(sut.serviceDnsNames("w", "ns"), ["w", "w.ns", "w.ns.svc", "w.ns.svc.cluster.local"]);
  });
});

describe("randomSerial()", () => {
  describe("given random bytes with the high bit set", () => {
    it("clears it so the serial is positive", () => {
      assert.equal(sut.randomSerial((n) => new Uint8Array(n).fill(0xff)), "7f" + "ff".repeat(15));
    });
  });
  describe("given random bytes starting with zero", () => {
    it("sets the next bit so the DER INTEGER stays 16 bytes, without a leading zero", () => {
      assert.equal(sut.randomSerial((n) => new Uint8Array(n)), "40" + "00".repeat(15));
    });
  });
});

describe("ipToBytes()", () => {
  const hex = (ip: string) => Buffer.from(sut.ipToBytes(ip), "latin1").toString("hex");
  const cases: Array<[string, string]> = [
    ["127.0.0.1", "7f000001"],
    ["::1", "0".repeat(31) + "1"],
    ["::", "0".repeat(32)],
    ["1::", "0001" + "0".repeat(28)],
    ["fd00::1:2", "fd00" + "0".repeat(20) + "00010002"],
    ["2001:db8:0:0:0:0:0:1", "20010db8" + "0".repeat(23) + "1"],
    ["::ffff:192.168.1.2", "0".repeat(20) + "ffffc0a80102"],
  ];
  for (const [ip, want] of cases) {
    describe(`given ${ip}`, () => {
      it(`returns ${want}`, () => assert.equal(hex(ip), want));
    });
  }
  describe("given something that is not an IP", () => {
    it("throws", () => assert.throws(() => sut.ipToBytes("localhost"), /not an IP address/));
  });
});
