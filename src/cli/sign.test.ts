import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./sign.js";

const REQUIRED = ["--module=m.yaml", "--kernel=5.14.0-1.el9.x86_64", "--key=k.pem", "--cert=c.pem"];

describe("parseSignArgs()", () => {
  describe("given the required flags only", () => {
    it("defaults: sha256, no push, text, namespace default, no timeout", () => {
      const r = sut.parseSignArgs(REQUIRED);
      assert.ok(r.ok);
      assert.deepEqual(r.options, { module: "m.yaml", kernel: "5.14.0-1.el9.x86_64", key: "k.pem", cert: "c.pem", push: false, hash: "sha256", namespace: "default", output: "text", registryCa: [], insecureRegistries: [] });
    });
  });

  describe("given every flag, as the Job passes them", () => {
    it("reads each", () => {
      const r = sut.parseSignArgs([
        ...REQUIRED,
        "--unsigned-image=reg/a:unsigned",
        "--output-image=reg/a:signed",
        "--push",
        "--pull-secret=/var/run/secrets/pull/.dockerconfigjson",
        "--registry-ca=ca1.pem",
        "--registry-ca=ca2.pem",
        "--insecure-registry=mirror:5000",
        "--platform=linux/arm64",
        "--hash=sha512",
        "--output=json",
        "--termination-message-path=/dev/termination-log",
        "--timeout=9m30s",
      ]);
      assert.ok(r.ok, r.ok ? "" : r.errors.join("; "));
      assert.deepEqual(r.options, {
        module: "m.yaml",
        kernel: "5.14.0-1.el9.x86_64",
        key: "k.pem",
        cert: "c.pem",
        unsignedImage: "reg/a:unsigned",
        outputImage: "reg/a:signed",
        terminationMessagePath: "/dev/termination-log",
        push: true,
        hash: "sha512",
        namespace: "default",
        output: "json",
        pullSecret: "/var/run/secrets/pull/.dockerconfigjson",
        platform: { os: "linux", architecture: "arm64" },
        registryCa: ["ca1.pem", "ca2.pem"],
        insecureRegistries: ["mirror:5000"],
        timeoutMs: 570_000,
      });
    });
  });

  describe("given values that look like flags, with =", () => {
    it("keeps them as values", () => {
      const r = sut.parseSignArgs([...REQUIRED.slice(1), "--module=--push", "--output-image=--push", "--unsigned-image=$(id);ls"]);
      assert.ok(r.ok);
      assert.deepEqual([r.options.module, r.options.outputImage, r.options.unsignedImage, r.options.push], ["--push", "--push", "$(id);ls", false]);
    });
  });

  describe("given mistakes", () => {
    it("reports every one", () => {
      const r = sut.parseSignArgs(["--hash=md5", "--output=yaml", "--timeout=soon", "--platform=linux"]);
      assert.equal(r.ok, false);
      if (r.ok) return;
      for (const m of [/--module is required/, /--kernel is required/, /--key is required/, /--cert is required/, /--hash must be one of sha256, sha384, sha512/, /--output must be text or json/, /--timeout must be a duration/, /--platform must be/]) {
        assert.ok(r.errors.some((e) => m.test(e)), `${m} in ${r.errors.join("; ")}`);
      }
    });
    it("refuses unknown flags", () => {
      assert.equal(sut.parseSignArgs([...REQUIRED, "--sign-everything"]).ok, false);
    });
  });
});

describe("signExitCode()", () => {
  const result = (verificationStatus: "true" | "false" | "error") => ({ namespace: "n", name: "m", kernel: "k", verificationStatus, reason: "r" });
  describe("given each verdict, and a run error", () => {
    it("gives 0, 1, 2, and 2", () => {
      assert.equal(sut.signExitCode({ kernel: "k", results: [result("true")], errors: [], notes: [] }), 0);
      assert.equal(sut.signExitCode({ kernel: "k", results: [result("false")], errors: [], notes: [] }), 1);
      assert.equal(sut.signExitCode({ kernel: "k", results: [result("error")], errors: [], notes: [] }), 2);
      assert.equal(sut.signExitCode({ kernel: "k", results: [], errors: ["no Module"], notes: [] }), 2);
    });
  });
});

describe("runSign()", () => {
  const moduleYaml = (name: string) => `apiVersion: kmm.sigs.x-k8s.io/v1beta1\nkind: Module\nmetadata:\n  name: ${name}\nspec:\n  selector: {}\n`;
  const options = (): sut.SignOptions => {
    const r = sut.parseSignArgs(["--module=m.yaml", "--kernel=5.14.0-1.el9.x86_64", "--key=/nonexistent/key.pem", "--cert=/nonexistent/cert.pem"]);
    assert.ok(r.ok);
    return r.options;
  };

  describe("given a file with two Modules", () => {
    it("signs neither: the key is one Module's", async () => {
      const r = await sut.runSign(options(), { readInput: async () => `${moduleYaml("a")}---\n${moduleYaml("b")}` });
      assert.deepEqual(r.results, []);
      assert.match(r.errors.join(), /holds 2 Modules; sign takes exactly one/);
    });
  });

  describe("given a kernel with too few fields", () => {
    it("reports it as the run's error", async () => {
      const r = await sut.runSign({ ...options(), kernel: "5.14" }, { readInput: async () => moduleYaml("a") });
      assert.match(r.errors.join(), /^--kernel: /);
    });
  });

  describe("given a key file that cannot be read", () => {
    it("gives the Module an error naming the file, not a false", async () => {
      const r = await sut.runSign(options(), { readInput: async () => moduleYaml("a") });
      assert.equal(r.results[0]?.verificationStatus, "error");
      assert.match(r.results[0]!.reason, /^--key: cannot read \/nonexistent\/key\.pem: no such file \(ENOENT\)/);
      assert.equal(r.results[0]!.namespace, "default");
    });
  });

  // A key or certificate is a few KiB: /dev/zero (or a disk image given by mistake) was read whole,
  // 8 GB before the run was stopped.
  for (const which of ["key", "cert"] as const) {
    describe(`given a --${which} that never ends (/dev/zero)`, () => {
      it("reads at most MAX_KEY_FILE_BYTES of it and gives the Module an error naming the file", async () => {
        const o = { ...options(), ...(which === "key" ? { key: "/dev/zero" } : { key: "package.json", cert: "/dev/zero" }) };
        const r = await sut.runSign(o, { readInput: async () => moduleYaml("a") });
        assert.equal(r.results[0]?.verificationStatus, "error");
        assert.match(r.results[0]!.reason, new RegExp(`--${which} /dev/zero: larger than ${sut.MAX_KEY_FILE_BYTES / 1024 / 1024} MiB`));
      });
    });
  }
});
