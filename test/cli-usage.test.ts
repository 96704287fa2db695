import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCli as cli } from "./support/cli-process.js";

// The CLI as a person or a CI pipeline runs it (usage, check, serve; validate and its inputs in cli.test.ts).

/** Runs the tasks three at a time: each starts a Node process, and the suite shares two cores. */
async function inBatches<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < tasks.length; i += 3) out.push(...(await Promise.all(tasks.slice(i, i + 3).map((t) => t()))));
  return out;
}

describe("kmm-preflight usage", () => {
  it("exits 2 and prints usage for an unknown command", async () => {
    const r = await cli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /Usage: kmm-preflight <command>/);
  });

  it("lists every serve setting in serve --help", async () => {
    const r = await cli(["serve", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--shutdown-delay-seconds\s+SHUTDOWN_DELAY_SECONDS/);
  });

  it("prints the version of package.json with --version", async () => {
    const r = await cli(["--version"]);
    assert.equal(r.code, 0, r.stderr);
    const pkg = JSON.parse(await readFile("package.json", "utf8")) as { version: string };
    assert.equal(r.stdout, `kmm-preflight ${pkg.version} (node ${process.version})\n`);
  });

  describe("given each command that kmm-preflight help lists", () => {
    let commands: string[];
    before(async () => {
      const r = await cli(["help"]);
      assert.equal(r.code, 0);
      commands = [...r.stdout.matchAll(/^  ([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((c) => c !== "help");
      assert.deepEqual(commands, ["serve", "validate", "check", "sign", "status", "certs", "inject-ca"]);
    });

    it("answers --help, -h and help <command> with that command's usage on stdout, exit 0", async () => {
      const runs = await inBatches(commands.flatMap((c) => [[c, "--help"], [c, "-h"], ["help", c]].map((argv) => async () => ({ c, argv, r: await cli(argv) }))));
      for (const { c, argv, r } of runs) {
        assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^Usage: kmm-preflight ${c}\\b`), argv.join(" "));
      }
    });

    it("answers a usage mistake with the error and that command's usage on stderr, exit 2", async () => {
      const runs = await inBatches(commands.map((c) => async () => ({ c, r: await cli([c, "--no-such-flag"]) })));
      for (const { c, r } of runs) {
        assert.equal(r.code, 2, c);
        assert.match(r.stderr, /^error: .*--no-such-flag/, c);
        assert.match(r.stderr, new RegExp(`\\n\\nUsage: kmm-preflight ${c}\\b`), c);
        assert.doesNotMatch(r.stderr, /Usage: kmm-preflight <command>/, `${c}: the command's usage, not the list of commands`);
      }
    });
  });

  it("refuses help for an unknown command", async () => {
    const r = await cli(["help", "frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });

  // The command table is an object: a name it inherits is no command, not a TypeError.
  for (const args of [["constructor"], ["__proto__", "--help"], ["help", "toString"]]) {
    it(`refuses ${args.join(" ")} as an unknown command`, async () => {
      const r = await cli(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`^error: unknown command "${args[0] === "help" ? args[1] : args[0]}"\n`));
      assert.match(r.stderr, /Usage: kmm-preflight <command>/);
    });
  }
});

/** A Module whose image for any kernel is on `registry`. */
const moduleOn = (registry: string) => `apiVersion: kmm.sigs.x-k8s.io/v1beta1
kind: Module
metadata: {name: m, namespace: drivers}
spec:
  moduleLoader:
    container:
      modprobe: {moduleName: m}
      kernelMappings: [{regexp: ".*", containerImage: "${registry}/kmm/m:latest"}]
`;

/** A registry on loopback that never answers (`hang`) or answers every request 503 (`unavailable`). */
async function brokenRegistry(mode: "hang" | "unavailable"): Promise<{ host: string; close(): Promise<void> }> {
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((_req, res) => {
    if (mode === "unavailable") res.writeHead(503, { "content-type": "application/json" }).end('{"errors":[{"code":"UNAVAILABLE","message":"down"}]}');
  });
  server.on("connection", (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe("kmm-preflight check --timeout and logging", () => {
  it("gives up on a registry that never answers after --timeout, with the Module as an error, exit 2", async () => {
    const registry = await brokenRegistry("hang");
    try {
      const started = performance.now();
      const r = await cli(["check", "--module", "-", "--kernel", "5.14.0-427.el9.x86_64", "--insecure-registry", registry.host, "--timeout", "2s", "-o", "json"], moduleOn(registry.host));
      const seconds = (performance.now() - started) / 1000;
      assert.equal(r.code, 2, r.stderr);
      assert.ok(seconds < 10, `answered after ${seconds.toFixed(1)} s`);
      const report = JSON.parse(r.stdout) as { results: { name: string; verificationStatus: string; reason: string }[] };
      assert.deepEqual(report.results.map((x) => [x.name, x.verificationStatus, x.reason]), [["m", "error", "not finished within --timeout 2s"]]);
    } finally {
      await registry.close();
    }
  });

  it("keeps registry retry log lines off stdout and stderr unless --verbose, which puts them on stderr", async () => {
    const registry = await brokenRegistry("unavailable");
    try {
      const argv = ["check", "--module", "-", "--kernel", "5.14.0-427.el9.x86_64", "--insecure-registry", registry.host, "--timeout", "3s"];
      const quiet = await cli(argv, moduleOn(registry.host));
      assert.equal(quiet.code, 2);
      assert.match(quiet.stdout, /^  verdict:  error \(image stage\)$/m);
      assert.equal(quiet.stderr, "", "no log lines among the results");
      assert.doesNotMatch(quiet.stdout, /"level"/);
      const verbose = await cli([...argv, "--verbose"], moduleOn(registry.host));
      const logLines = verbose.stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string });
      assert.ok(logLines.some((l) => l.level === "warn" && l.msg === "registry request failed, retrying"), verbose.stderr);
      assert.doesNotMatch(verbose.stdout, /"level"/, "logs never reach stdout");
    } finally {
      await registry.close();
    }
  });

  it("refuses a --timeout that is not a duration as a usage error", async () => {
    const r = await cli(["check", "--module", "-", "--kernel", "k", "--timeout", "soon"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --timeout: "soon" is not a duration/);
  });
});

describe("kmm-preflight check flags", () => {
  it("refuses a --platform that is not os/arch[/variant] as a usage error (no silent linux/amd64)", async () => {
    const r = await cli(["check", "--module", "examples/module.yaml", "--kernel", "5.14.0-427.el9.x86_64", "--platform", "bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --platform must be os\/arch or os\/arch\/variant, not "bogus"/);
    assert.match(r.stderr, /\n\nUsage: kmm-preflight check\b/);
    assert.equal(r.stdout, "");
  });
});

describe("kmm-preflight serve", () => {
  it("on SIGTERM drains, logs that it stopped, and exits 0", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-sigterm-"));
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve"], {
      env: { ...process.env, PORT: "0", METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: dir, NO_CLUSTER: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const lines: Record<string, unknown>[] = [];
      let buffered = "";
      const serving = new Promise<void>((resolve) =>
        child.stdout!.on("data", (c: Buffer) => {
          buffered += c.toString();
          const parts = buffered.split("\n");
          buffered = parts.pop()!;
          for (const l of parts.filter(Boolean)) {
            const line = JSON.parse(l) as Record<string, unknown>;
            lines.push(line);
            if (line["msg"] === "serving admission webhooks over HTTPS") resolve();
          }
        }),
      );
      await serving;
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
      assert.deepEqual(lines.slice(-2).map((l) => l["msg"]), ["shutting down", "stopped"]);
      assert.equal(lines.at(-2)!["reason"], "SIGTERM");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
