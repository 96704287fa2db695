import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./dns-name.js";

describe("isDns1123Label()", () => {
  describe("given valid labels", () => {
    for (const name of ["drivers", "a", "0", "kmm-operator", "1a", "a".repeat(63)]) {
      it(`accepts ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…(${name.length})` : name)}`, () => {
        assert.deepEqual(sut.isDns1123Label(name), []);
      });
    }
  });

  describe("given invalid characters or shapes", () => {
    for (const name of ["Drivers", "dri_vers", "-drivers", "drivers-", "", "dri/vers", "dri vers"]) {
      it(`rejects ${JSON.stringify(name)} with one message`, () => {
        assert.equal(sut.isDns1123Label(name).length, 1);
      });
    }
  });

  describe("given a valid subdomain with dots", () => {
    it("says dots are not allowed", () => {
      assert.deepEqual(sut.isDns1123Label("kmm.drivers"), ["must not contain dots"]);
    });
  });

  describe("given a label of 64 characters", () => {
    it("rejects it with one message (length)", () => {
      const msgs = sut.isDns1123Label("a".repeat(64));
      assert.equal(msgs.length, 1);
      assert.match(msgs[0]!, /63/);
    });
  });
});

describe("isDns1123Subdomain()", () => {
  describe("given valid names", () => {
    for (const name of ["preflight", "a", "0", "pfvo-4-16", "preflight.example.com", "a-b.c-d", "1a", "a".repeat(253), `${"a".repeat(63)}.${"b".repeat(63)}`]) {
      it(`accepts ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…(${name.length})` : name)}`, () => {
        assert.deepEqual(sut.isDns1123Subdomain(name), []);
      });
    }
  });

  describe("given invalid characters or shapes", () => {
    for (const name of ["Preflight", "pre_flight", "pre flight", "-preflight", "preflight-", ".preflight", "preflight.", "pre..flight", "", "préflight", "pre/flight", "pre:flight"]) {
      it(`rejects ${JSON.stringify(name)} with one message`, () => {
        assert.equal(sut.isDns1123Subdomain(name).length, 1);
      });
    }
  });

  describe("given a name of 254 characters", () => {
    it("rejects it with one message (length)", () => {
      const msgs = sut.isDns1123Subdomain("a".repeat(254));
      assert.equal(msgs.length, 1);
      assert.match(msgs[0]!, /253/);
    });
  });

  describe("given a name that is both too long and malformed", () => {
    it("returns both messages", () => {
      assert.equal(sut.isDns1123Subdomain("A".repeat(300)).length, 2);
    });
  });
});

describe("isDns1123SubdomainPrefix()", () => {
  describe("given a prefix ending in '-'", () => {
    it("accepts it (the API server appends a suffix)", () => {
      assert.deepEqual(sut.isDns1123SubdomainPrefix("pfvo-"), []);
    });
  });

  describe("given a prefix ending in '.'", () => {
    it("accepts it", () => {
      assert.deepEqual(sut.isDns1123SubdomainPrefix("pfvo."), []);
    });
  });

  describe("given a prefix ending in an alphanumeric", () => {
    it("accepts it", () => {
      assert.deepEqual(sut.isDns1123SubdomainPrefix("pfvo"), []);
    });
  });

  describe("given a prefix with uppercase or underscores", () => {
    for (const p of ["PFVO-", "pf_vo-", "-pfvo-", "pf vo-"]) {
      it(`rejects ${JSON.stringify(p)}`, () => {
        assert.notDeepEqual(sut.isDns1123SubdomainPrefix(p), []);
      });
    }
  });

  describe("given a prefix ending in two dashes", () => {
    it("accepts it (a generated suffix makes it valid)", () => {
      assert.deepEqual(sut.isDns1123SubdomainPrefix("pfvo--"), []);
    });
  });
});
