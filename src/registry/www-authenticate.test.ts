import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./www-authenticate.js";

describe("parseWwwAuthenticate()", () => {
  describe("given headers real registries send", () => {
    it("parses Docker Hub's bearer challenge with realm, service and scope", () => {
      const h = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"';
      assert.deepEqual(sut.parseWwwAuthenticate(h), [
        { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull" } },
      ]);
    });

    it("parses quay.io's challenge without a scope", () => {
      assert.deepEqual(sut.parseWwwAuthenticate('Bearer realm="https://quay.io/v2/auth",service="quay.io"'), [
        { scheme: "bearer", params: { realm: "https://quay.io/v2/auth", service: "quay.io" } },
      ]);
    });

    it("parses distribution's insufficient_scope challenge, where the scope holds commas", () => {
      const h = 'Bearer realm="http://127.0.0.1:5001/token",service="reg",scope="repository:a/b:pull,push",error="insufficient_scope"';
      const [c] = sut.parseWwwAuthenticate(h);
      assert.equal(c?.params["scope"], "repository:a/b:pull,push");
      assert.equal(c?.params["error"], "insufficient_scope");
    });

    it("parses distribution's htpasswd challenge", () => {
      assert.deepEqual(sut.parseWwwAuthenticate('Basic realm="kmm-preflight-test"'), [{ scheme: "basic", params: { realm: "kmm-preflight-test" } }]);
    });

    it("parses ECR's Basic challenge with a service", () => {
      const h = 'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"';
      assert.deepEqual(sut.parseWwwAuthenticate(h)[0]?.params, { realm: "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/", service: "ecr.amazonaws.com" });
    });
  });

  describe("given several challenges", () => {
    it("splits them on the comma before a new scheme, keeping quoted commas", () => {
      const h = 'Basic realm="a, b", Bearer realm="https://x/token", service="y"';
      assert.deepEqual(sut.parseWwwAuthenticate(h), [
        { scheme: "basic", params: { realm: "a, b" } },
        { scheme: "bearer", params: { realm: "https://x/token", service: "y" } },
      ]);
    });

    it("accepts a scheme without parameters before another challenge", () => {
      assert.deepEqual(sut.parseWwwAuthenticate('Negotiate, Basic realm="r"'), [
        { scheme: "negotiate", params: {} },
        { scheme: "basic", params: { realm: "r" } },
      ]);
    });

    it("reads a token68 challenge", () => {
      assert.deepEqual(sut.parseWwwAuthenticate("Negotiate dXNlcjpwYXNz==, Basic realm=x"), [
        { scheme: "negotiate", params: {}, token68: "dXNlcjpwYXNz==" },
        { scheme: "basic", params: { realm: "x" } },
      ]);
    });

    it("concatenates several header lines", () => {
      assert.deepEqual(
        sut.parseWwwAuthenticate(['Basic realm="r"', 'Bearer realm="https://t"']).map((c) => c.scheme),
        ["basic", "bearer"],
      );
    });
  });

  describe("given unusual but valid syntax", () => {
    it("lowercases the scheme and parameter names, allows spaces around '=' and unquoted values", () => {
      assert.deepEqual(sut.parseWwwAuthenticate('BEARER Realm = "https://t/x" , Service=reg'), [{ scheme: "bearer", params: { realm: "https://t/x", service: "reg" } }]);
    });

    it("unescapes backslashes in quoted strings", () => {
      assert.equal(sut.parseWwwAuthenticate('Basic realm="say \\"hi\\" \\\\ now"')[0]?.params["realm"], 'say "hi" \\ now');
    });

    it("treats names like constructor and __proto__ as plain data", () => {
      const [c] = sut.parseWwwAuthenticate('Bearer constructor="x", __proto__="y", realm="https://t"');
      assert.equal(c?.params["constructor"], "x");
      assert.equal(Object.getPrototypeOf(c?.params), Object.prototype);
      assert.equal(c?.params["realm"], "https://t");
    });

    it("keeps the first of repeated parameters", () => {
      assert.equal(sut.parseWwwAuthenticate('Bearer realm="https://one",realm="https://two"')[0]?.params["realm"], "https://one");
    });
  });

  describe("given malformed input", () => {
    for (const h of ["", "   ", ",,,", '"quoted"', "Bearer realm=\"unterminated", "Bearer =x", "Bearer realm=\"a\" garbage, Basic realm=b"]) {
      it(`does not throw on ${JSON.stringify(h)}`, () => {
        assert.doesNotThrow(() => sut.parseWwwAuthenticate(h));
      });
    }

    it("recovers the next challenge after garbage", () => {
      const schemes = sut.parseWwwAuthenticate('Bearer realm="a" garbage, Basic realm=b').map((c) => c.scheme);
      assert.ok(schemes.includes("basic"), JSON.stringify(schemes));
    });

    it("returns nothing for a missing header", () => {
      assert.deepEqual(sut.parseWwwAuthenticate(undefined), []);
    });
  });
});

describe("pickAuthScheme()", () => {
  describe("given a bearer and a basic challenge", () => {
    it("prefers bearer", () => {
      assert.deepEqual(sut.pickAuthScheme(sut.parseWwwAuthenticate('Basic realm="r", Bearer realm="https://t",service="s"')), {
        scheme: "bearer",
        realm: "https://t",
        service: "s",
      });
    });
  });

  describe("given a bearer challenge without a realm", () => {
    it("falls back to basic, or nothing", () => {
      assert.equal(sut.pickAuthScheme(sut.parseWwwAuthenticate('Bearer service="s", Basic realm="r"'))?.scheme, "basic");
      assert.equal(sut.pickAuthScheme(sut.parseWwwAuthenticate('Bearer service="s"')), undefined);
    });
  });

  describe("given only schemes we cannot answer", () => {
    it("returns undefined", () => {
      assert.equal(sut.pickAuthScheme(sut.parseWwwAuthenticate("Negotiate, NTLM")), undefined);
    });
  });

  describe("given an insufficient_scope error", () => {
    it("carries it", () => {
      const s = sut.pickAuthScheme(sut.parseWwwAuthenticate('Bearer realm="https://t",error="insufficient_scope"'));
      assert.equal(s?.scheme === "bearer" && s.error, "insufficient_scope");
    });
  });
});
