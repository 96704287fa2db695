import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as sut from "./docker-config.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const auth = (user: string, pass = `${user}-pw`) => ({ auth: b64(`${user}:${pass}`) });
const userOf = (c: sut.Credentials | undefined) => (c && "username" in c ? c.username : undefined);

describe("parseConfigKey()", () => {
  const cases: [string, ReturnType<typeof sut.parseConfigKey>][] = [
    ["https://index.docker.io/v1/", { host: "docker.io", port: "", path: "" }],
    ["index.docker.io", { host: "docker.io", port: "", path: "" }],
    ["registry-1.docker.io", { host: "docker.io", port: "", path: "" }],
    ["docker.io/library", { host: "docker.io", port: "", path: "library" }],
    ["Quay.IO/Org/", { host: "quay.io", port: "", path: "org" }],
    ["http://localhost:5000", { host: "localhost", port: "5000", path: "" }],
    ["registry.example.com:5000/team/sub", { host: "registry.example.com", port: "5000", path: "team/sub" }],
    ["[::1]:5000", { host: "[::1]", port: "5000", path: "" }],
    ["*.example.com", { host: "*.example.com", port: "", path: "" }],
  ];
  for (const [key, want] of cases) {
    describe(`given ${JSON.stringify(key)}`, () => {
      it(`gives ${JSON.stringify(want)}`, () => assert.deepEqual(sut.parseConfigKey(key), want));
    });
  }
});

describe("credentialsFromDockerConfig()", () => {
  describe("given a kubernetes.io/dockerconfigjson document", () => {
    const lookup = sut.credentialsFromDockerConfig(
      JSON.stringify({
        auths: {
          "quay.io": auth("quay-any"),
          "quay.io/org": auth("quay-org"),
          "quay.io/org/team": auth("quay-team"),
          "https://index.docker.io/v1/": auth("hub"),
          "localhost:5000": auth("local5000"),
          "*.example.com": auth("wild"),
          "registry.example.com": auth("exact"),
        },
      }),
    );

    it("matches the most specific path prefix", () => {
      assert.equal(userOf(lookup("quay.io", "org/team/img")), "quay-team");
      assert.equal(userOf(lookup("quay.io", "org/img")), "quay-org");
      assert.equal(userOf(lookup("quay.io", "other/img")), "quay-any");
    });

    it("matches path prefixes on component boundaries only", () => {
      assert.equal(userOf(lookup("quay.io", "organic/img")), "quay-any");
    });

    it("maps docker.io references to the index.docker.io key", () => {
      assert.equal(userOf(lookup("docker.io", "library/busybox")), "hub");
    });

    it("requires the port to match exactly", () => {
      assert.equal(userOf(lookup("localhost:5000", "img")), "local5000");
      assert.equal(lookup("localhost:5001", "img"), undefined);
      assert.equal(lookup("localhost", "img"), undefined);
    });

    it("prefers an exact host over a wildcard, and matches one label per '*'", () => {
      assert.equal(userOf(lookup("registry.example.com", "a")), "exact");
      assert.equal(userOf(lookup("other.example.com", "a")), "wild");
      assert.equal(lookup("a.b.example.com", "a"), undefined);
    });

    it("finds nothing for an unknown registry", () => {
      assert.equal(lookup("ghcr.io", "a/b"), undefined);
    });

    it("splits auth at the first colon, so passwords may contain colons", () => {
      const l = sut.credentialsFromDockerConfig({ auths: { r: { auth: b64("u:p:a:ss") } } });
      assert.deepEqual(l("r", "x"), { username: "u", password: "p:a:ss" });
    });
  });

  describe("given username and password fields instead of auth", () => {
    it("uses them", () => {
      const l = sut.credentialsFromDockerConfig({ auths: { "quay.io": { username: "u", password: "p" } } });
      assert.deepEqual(l("quay.io", "x"), { username: "u", password: "p" });
    });
  });

  describe("given an identitytoken", () => {
    it("returns it with the username from auth", () => {
      const l = sut.credentialsFromDockerConfig({ auths: { "myacr.azurecr.io": { auth: b64("00000000-0000-0000-0000-000000000000:"), identitytoken: "refresh" } } });
      assert.deepEqual(l("myacr.azurecr.io", "x"), { identityToken: "refresh", username: "00000000-0000-0000-0000-000000000000" });
    });
  });

  describe("given a legacy kubernetes.io/dockercfg document (no auths wrapper)", () => {
    it("reads the entries at the top level", () => {
      const l = sut.credentialsFromDockerConfig(JSON.stringify({ "quay.io": { ...auth("old"), email: "x@example.com" } }));
      assert.equal(userOf(l("quay.io", "a")), "old");
    });
  });

  describe("given a ~/.docker/config.json with a credential store", () => {
    it("ignores empty entries and non-registry keys", () => {
      const l = sut.credentialsFromDockerConfig({ auths: { "https://index.docker.io/v1/": {} }, credsStore: "desktop" });
      assert.equal(l("docker.io", "library/x"), undefined);
    });
  });

  describe("given malformed input", () => {
    const cases: [string, unknown, RegExp][] = [
      ["not JSON", "{nope", /not JSON/],
      ["an array", "[]", /JSON object/],
      ["auths not an object", { auths: [] }, /auths: Invalid/],
      ["an entry that is not an object", { auths: { "quay.io": "x" } }, /auths\["quay.io"\]: Invalid/],
      ["auth that is not base64", { auths: { "quay.io": { auth: "not base64!" } } }, /auths\["quay.io"\]\.auth: Invalid/],
      ["auth without a colon", { auths: { "quay.io": { auth: b64("nocolon") } } }, /auths\["quay.io"\]\.auth/],
      ["a password that is not a string", { auths: { "quay.io": { username: "u", password: 5 } } }, /password: Invalid/],
    ];
    for (const [name, input, want] of cases) {
      it(`throws a DockerConfigError for ${name}`, () => {
        assert.throws(() => sut.credentialsFromDockerConfig(input), (e: unknown) => e instanceof sut.DockerConfigError && want.test(e.message));
      });
    }

    it("never puts a secret into the message", () => {
      const secret = b64("user-without-colon-SECRET");
      assert.throws(
        () => sut.credentialsFromDockerConfig({ auths: { "quay.io": { auth: secret } } }),
        (e: unknown) => e instanceof Error && !e.message.includes(secret) && !e.message.includes("SECRET"),
      );
    });
  });
});

describe("credentialsFromDockerConfigFile()", () => {
  describe("given a config file", () => {
    it("reads it", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-dockercfg-"));
      try {
        const file = path.join(dir, "config.json");
        await writeFile(file, JSON.stringify({ auths: { "quay.io": auth("from-file") } }));
        assert.equal(userOf((await sut.credentialsFromDockerConfigFile(file))("quay.io", "a")), "from-file");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe("given a malformed file", () => {
    it("names the file in the error", async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-dockercfg-"));
      try {
        const file = path.join(dir, "config.json");
        await writeFile(file, "{");
        await assert.rejects(sut.credentialsFromDockerConfigFile(file), (e: unknown) => e instanceof sut.DockerConfigError && e.message.startsWith(file));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
