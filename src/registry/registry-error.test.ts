import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./registry-error.js";

const ctx = (over: Partial<sut.RequestContext> = {}): sut.RequestContext => ({
  image: "quay.io/org/img:tag",
  registry: "quay.io",
  repository: "org/img",
  object: "manifest",
  by: "tag",
  credentialsSent: false,
  ...over,
});
const body = (...codes: string[]) => ({ codes, messages: codes.map((c) => c.toLowerCase().replace(/_/g, " ")) });

describe("parseErrorBody()", () => {
  describe("given distribution's error body", () => {
    it("returns codes and messages", () => {
      const b = sut.parseErrorBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}');
      assert.deepEqual(b, { codes: ["MANIFEST_UNKNOWN"], messages: ["manifest unknown"] });
    });
  });
  describe("given anything else", () => {
    it("returns no codes", () => {
      for (const s of ["", "<html>502</html>", "null", '{"errors":"x"}', '{"errors":[null,1]}']) assert.deepEqual(sut.parseErrorBody(s), { codes: [], messages: [] }, s);
    });
  });
  describe("given a message with control characters and a token", () => {
    it("cleans it", () => {
      const b = sut.parseErrorBody(JSON.stringify({ errors: [{ code: "DENIED", message: "bad\u001b[31m token Bearer abc.def.ghi\nend" }] }));
      assert.equal(b.messages[0], "bad [31m token Bearer REDACTED end");
    });
  });
});

describe("classifyResponse()", () => {
  describe("given each status", () => {
    const cases: [string, number, sut.RegistryErrorBody, Partial<sut.RequestContext>, sut.RegistryErrorKind, boolean][] = [
      ["a missing tag", 404, body("MANIFEST_UNKNOWN"), {}, "NotFound", false],
      ["a missing repository", 404, body("NAME_UNKNOWN"), {}, "NotFound", false],
      ["a missing blob", 404, body("BLOB_UNKNOWN"), { object: "blob" }, "NotFound", false],
      ["a registry without /v2/", 404, body(), { object: "ping" }, "Unsupported", false],
      ["anonymous access to a private image", 401, body("UNAUTHORIZED"), {}, "Unauthorized", false],
      ["rejected credentials", 401, body("UNAUTHORIZED"), { credentialsSent: true }, "Unauthorized", false],
      ["a token without the scope, obtained with credentials", 401, body("UNAUTHORIZED"), { credentialsSent: true, insufficientScope: true }, "Forbidden", false],
      ["a 401 with DENIED and credentials", 401, body("DENIED"), { credentialsSent: true }, "Forbidden", false],
      ["a 403", 403, body("DENIED"), { credentialsSent: true }, "Forbidden", false],
      ["rate limiting", 429, body("TOOMANYREQUESTS"), {}, "TooManyRequests", true],
      ["a 500", 500, body(), {}, "Server", true],
      ["a 502 from a proxy", 502, body(), {}, "Server", true],
      ["a 503", 503, body("UNAVAILABLE"), {}, "Server", true],
      ["a 504", 504, body(), {}, "Timeout", true],
      ["a 408", 408, body(), {}, "Timeout", true],
      ["a 501", 501, body(), {}, "Unsupported", false],
      ["a 400", 400, body("NAME_INVALID"), {}, "Unsupported", false],
      ["a 401 from the token server", 401, body(), { object: "token", credentialsSent: true }, "Unauthorized", false],
      ["a 403 from the token server", 403, body(), { object: "token", credentialsSent: true }, "Forbidden", false],
    ];
    for (const [name, status, b, c, kind, retryable] of cases) {
      it(`classifies ${name} (${status}) as ${kind}${retryable ? ", retryable" : ""}`, () => {
        const e = sut.classifyResponse(status, b, ctx(c));
        assert.deepEqual([e.kind, e.retryable, e.status, e.codes], [kind, retryable, status, b.codes]);
      });
    }
  });

  describe("given a refusal while pushing", () => {
    const push = { action: "push" as const };
    const cases: [string, number, sut.RegistryErrorBody, Partial<sut.RequestContext>, sut.RegistryErrorKind, RegExp][] = [
      ["a token without push scope", 401, body("UNAUTHORIZED"), { ...push, credentialsSent: true, insufficientScope: true }, "Forbidden", /the credentials may not push to org\/img/],
      ["a 403 with credentials", 403, body("DENIED"), { ...push, credentialsSent: true }, "Forbidden", /the credentials may not push to org\/img$/],
      ["a 403 without credentials", 403, body("DENIED"), push, "Forbidden", /anonymous pushes to org\/img are not allowed/],
      ["a 403 from the token server", 403, body(), { ...push, object: "token", credentialsSent: true }, "Forbidden", /may not push to it$/],
      ["a repository the registry will not create", 404, body("NAME_UNKNOWN"), push, "NotFound", /does not create repositories on push/],
    ];
    for (const [name, status, b, c, kind, message] of cases) {
      it(`says push for ${name}`, () => {
        const e = sut.classifyResponse(status, b, ctx(c));
        assert.equal(e.kind, kind);
        assert.match(e.message, message);
      });
    }
    it("retries an upload the registry forgot (BLOB_UPLOAD_UNKNOWN) from its start", () => {
      const e = sut.classifyResponse(404, body("BLOB_UPLOAD_UNKNOWN"), ctx({ ...push, object: "blob" }));
      assert.deepEqual([e.kind, e.retryable], ["NotFound", true]);
    });
  });

  describe("given a missing tag", () => {
    it("says so, starting with the image, with status and code", () => {
      const e = sut.classifyResponse(404, body("MANIFEST_UNKNOWN"), ctx());
      assert.equal(e.message, "quay.io/org/img:tag: manifest unknown (404 MANIFEST_UNKNOWN): the tag does not exist");
    });
  });

  describe("given a 401", () => {
    it("says whether credentials were missing or rejected", () => {
      assert.match(sut.classifyResponse(401, body("UNAUTHORIZED"), ctx()).message, /: quay\.io requires credentials for org\/img$/);
      assert.match(sut.classifyResponse(401, body("UNAUTHORIZED"), ctx({ credentialsSent: true })).message, /: quay\.io rejected the credentials$/);
    });
  });

  describe("given any refusal of access", () => {
    // The client serves release images as well as Modules: advice about a Module's fields is the image stage's.
    const cases: [number, Partial<sut.RequestContext>][] = [
      [401, {}],
      [401, { credentialsSent: true }],
      [401, { credentialsSent: true, insufficientScope: true }],
      [403, {}],
      [403, { credentialsSent: true }],
      [401, { object: "token" }],
      [401, { object: "token", credentialsSent: true }],
      [403, { object: "token", credentialsSent: true }],
    ];
    for (const [status, c] of cases) {
      it(`names no Module field (${status} ${JSON.stringify(c)})`, () => {
        assert.doesNotMatch(sut.classifyResponse(status, body("DENIED"), ctx(c)).message, /imageRepoSecret|Module|spec\./);
      });
    }
  });

  describe("given a 429 with Retry-After", () => {
    it("mentions and carries the wait", () => {
      const e = sut.classifyResponse(429, body(), ctx({ retryAfterMs: 2000 }));
      assert.match(e.message, /Retry-After: 2s/);
      assert.equal(e.retryAfterMs, 2000);
    });
  });
});

describe("classifyNetworkError()", () => {
  const err = (code: string, message = code) => Object.assign(new Error(message), { code });
  const c = { image: "reg.example:5000/a:b", host: "reg.example:5000", timeoutMs: 1000 };
  describe("given each cause", () => {
    const cases: [string, unknown, sut.RegistryErrorKind, boolean, RegExp, sut.TlsFailure?][] = [
      ["connection refused", err("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5000"), "Unreachable", true, /cannot reach reg\.example:5000 \(ECONNREFUSED/],
      ["a reset wrapped as cause", Object.assign(new Error("fetch failed"), { cause: err("ECONNRESET") }), "Unreachable", true, /ECONNRESET/],
      ["an unknown host", err("ENOTFOUND", "getaddrinfo ENOTFOUND reg.example"), "Unreachable", false, /cannot resolve reg\.example:5000/],
      ["a connect timeout", err("UND_ERR_CONNECT_TIMEOUT"), "Timeout", true, /did not accept a connection within 1000 ms/],
      ["a headers timeout", err("UND_ERR_HEADERS_TIMEOUT"), "Timeout", true, /did not answer within 1000 ms/],
      ["an idle body", err("UND_ERR_BODY_TIMEOUT"), "Timeout", true, /stopped sending data/],
      ["an untrusted certificate", err("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"), "Unreachable", false, /TLS verification of reg\.example:5000 failed.*trust the registry's CA/, "UntrustedCertificate"],
      ["a wrong host name", err("ERR_TLS_CERT_ALTNAME_INVALID"), "Unreachable", false, /TLS verification/, "UntrustedCertificate"],
      ["HTTPS spoken to an HTTP server", err("EPROTO", "SSL routines::wrong version number"), "Unreachable", false, /TLS handshake with reg\.example:5000 failed .*may speak plain HTTP/, "NotTls"],
    ];
    for (const [name, e, kind, retryable, msg, tlsFailure] of cases) {
      it(`classifies ${name} as ${kind}${retryable ? ", retryable" : ""}${tlsFailure ? `, ${tlsFailure}` : ""}`, () => {
        const r = sut.classifyNetworkError(e, c);
        assert.deepEqual([r.kind, r.retryable, r.tlsFailure], [kind, retryable, tlsFailure]);
        assert.match(r.message, msg);
        assert.doesNotMatch(r.message, /registryTLS|Module/);
        assert.equal(r.cause, e);
      });
    }
  });

  describe("given a RegistryError", () => {
    it("returns it unchanged", () => {
      const e = new sut.RegistryError({ kind: "Corrupt", message: "x" });
      assert.equal(sut.classifyNetworkError(e, c), e);
    });
  });
});

describe("RegistryError", () => {
  describe("given no retryable flag", () => {
    it("derives it from the kind", () => {
      assert.equal(new sut.RegistryError({ kind: "Timeout", message: "" }).retryable, true);
      assert.equal(new sut.RegistryError({ kind: "NotFound", message: "" }).retryable, false);
    });
  });
});

describe("redactUrl()", () => {
  describe("given a pre-signed storage URL", () => {
    it("replaces signature values and keeps harmless parameters", () => {
      const u = "https://bucket.s3.amazonaws.com/docker/blobs/data?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2Fx&X-Amz-Expires=1200";
      assert.equal(sut.redactUrl(u), "https://bucket.s3.amazonaws.com/docker/blobs/data?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Expires=REDACTED");
    });
  });
  describe("given userinfo", () => {
    it("replaces the password", () => {
      assert.equal(sut.redactUrl("https://user:s3cret@reg.example/v2/"), "https://user:REDACTED@reg.example/v2/");
    });
  });
  describe("given a token request", () => {
    it("keeps service and scope", () => {
      const u = "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fx%3Apull";
      assert.equal(sut.redactUrl(u), u);
    });
  });
});

describe("redactSecrets()", () => {
  describe("given text with credentials", () => {
    it("replaces known secrets, Authorization values, URL passwords, JWTs and token parameters", () => {
      const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
      const text = `secret=hunter22 Authorization: Basic dXNlcjpwYXNz and Bearer ${jwt} at https://u:pw@h/x?access_token=abc&n=1 raw ${jwt}`;
      const out = sut.redactSecrets(text, ["hunter22"]);
      for (const s of ["hunter22", "dXNlcjpwYXNz", jwt, ":pw@", "access_token=abc"]) assert.ok(!out.includes(s), `${s} in ${out}`);
      assert.match(out, /n=1/);
    });
  });
});
