import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";

// The CLI as a person or a CI pipeline runs it: a process, argv, stdin, exit code.

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? "");
  });
}

describe("kmm-preflight validate", () => {
  it("prints the defaulted object and exits 0 for a valid file", async () => {
    const r = await cli(["validate", "-f", "examples/preflight.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    const [doc] = parseAllDocuments(r.stdout) as unknown as { toJS(): { spec: Record<string, unknown> } }[];
    assert.deepEqual(doc!.toJS().spec, {
      releaseImage: "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863",
      pushBuiltImage: true,
      useRTKernel: false,
    });
  });

  it("reports every error of every document, the warnings, and exits 1", async () => {
    const r = await cli(["validate", "-f", "examples/invalid-preflight.yaml"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\* metadata\.name: Invalid value: "Preflight_4\.16"/);
    assert.match(r.stderr, /\* spec\.releaseImage: Required value/);
    assert.match(r.stderr, /\* spec\.relaseImage: Forbidden: unknown field; did you mean "releaseImage"\?/);
    assert.match(r.stderr, /\* spec\.pushBuiltImage: Invalid value: "yes"/);
    assert.match(r.stderr, /^Warning: examples\/invalid-preflight\.yaml \(document 2\): spec\.releaseImage: tag "4\.16\.3-x86_64" can move/m);
    assert.equal((parseAllDocuments(r.stdout) as unknown[]).length, 1, "only the admitted document is printed");
  });

  it("checks Module documents with Module policy: admitted ones printed, warnings on stderr, exit 0", async () => {
    const r = await cli(["validate", "-f", "test/fixtures/modules/admitted.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    const kinds = (parseAllDocuments(r.stdout) as unknown as { toJS(): { kind: string } }[]).map((d) => d.toJS().kind);
    assert.deepEqual(kinds, ["ConfigMap", "Module", "Module", "Module", "Module", "Module", "Module"]);
    assert.match(r.stderr, /^Warning: test\/fixtures\/modules\/admitted\.yaml \(document 6\): spec\.moduleLoader\.container\.kernelMappings\[0\]\.inTreeModuleToRemove is deprecated/m);
  });

  it("denies broken Modules with every error, field by field, and exits 1", async () => {
    const r = await cli(["validate", "-f", "test/fixtures/modules/denied.yaml"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout.trim(), "", "no Module in the file is admitted");
    assert.match(r.stderr, /^error: test\/fixtures\/modules\/denied\.yaml \(document 1\): Module\.kmm\.sigs\.x-k8s\.io "misplaced-in-tree" is invalid:$/m);
    assert.match(r.stderr, /^\* spec\.moduleLoader\.inTreeModuleToRemove: Forbidden: unknown field here/m);
    assert.match(r.stderr, /^\* spec\.moduleLoader\.container\.kernelMappings\[0\]\.regexp: Invalid value: "\^5\\\\\.14\(\?!/m);
  });

  it("reads standard input with -f -", async () => {
    const r = await cli(["validate", "-f", "-"], "apiVersion: kmm.sigs.x-k8s.io/v1beta2\nkind: PreflightValidationOCP\nmetadata: {name: x}\nspec: {}\n");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: <stdin> \(document 1\)/m);
  });

  it("exits 2 with a clear message for a missing file", async () => {
    const r = await cli(["validate", "-f", "does-not-exist.yaml"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ENOENT.*does-not-exist\.yaml/);
  });
});

describe("kmm-preflight usage", () => {
  it("exits 2 and prints usage for an unknown command", async () => {
    const r = await cli(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    assert.match(r.stderr, /Usage: kmm-preflight/);
  });

  it("lists every serve setting in serve --help", async () => {
    const r = await cli(["serve", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--shutdown-delay-seconds\s+SHUTDOWN_DELAY_SECONDS/);
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
