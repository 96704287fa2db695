import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { runCli as cli } from "./support/cli-process.js";

// The CLI as a person or a CI pipeline runs it (validate and its inputs; usage, check and serve in cli-usage.test.ts).

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
    assert.match(r.stderr, /^error: examples\/invalid-preflight\.yaml \(document 1\): PreflightValidationOCP\.kmm\.sigs\.x-k8s\.io "uppercase-repository" is invalid:$/m);
    assert.match(r.stderr, /\* spec\.releaseImage: Invalid value: "quay\.io\/OpenShift\/ocp-release:4\.16\.3-x86_64": repository name "OpenShift\/ocp-release" must be lowercase/);
    assert.match(r.stderr, /\* spec\.releaseImage: Invalid value: ".*@sha256:22e149142517dfcc": digest/);
    assert.match(r.stderr, /^Warning: examples\/invalid-preflight\.yaml \(document 3\): spec\.releaseImage: tag "4\.16\.3-x86_64" can move/m);
    assert.equal((parseAllDocuments(r.stdout) as unknown[]).length, 1, "only the admitted document is printed");
  });

  it("refuses an empty input, a document without apiVersion or kind, and unknown fields, exit 1", async () => {
    const empty = await cli(["validate", "-f", "-"], "# nothing here\n");
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, "error: <stdin>: no objects: the input is empty or holds only comments\n");
    const kindless = await cli(["validate", "-f", "-"], "metadata: {name: x}\nspec: {}\n");
    assert.equal(kindless.code, 1);
    assert.match(kindless.stderr, /^error: <stdin> \(document 1\): not a Kubernetes object: apiVersion not set, kind not set/);
    const unknown = await cli(["validate", "-f", "-"], "apiVersion: kmm.sigs.x-k8s.io/v1beta2\nkind: PreflightValidationOCP\nmetadata: {name: x, namee: y}\nspecc: {}\n");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /strict decoding error:\n\* unknown field "metadata\.namee".*\n\* unknown field "specc"/);
    assert.equal(unknown.stdout, "");
  });

  it("refuses an input over 64 MiB at once, in one line, without reading it all", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-big-"));
    try {
      const file = path.join(dir, "random.bin");
      await writeFile(file, randomBytes(200 * 1024 * 1024));
      const started = performance.now();
      const r = await cli(["validate", "-f", file]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `error: ${file}: larger than 64 MiB: refused unread\n`);
      assert.ok(performance.now() - started < 15_000, "answered without working through 200 MB");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("answers binary input under the limit in one line", async () => {
    const r = await cli(["validate", "-f", "-"], randomBytes(4 * 1024 * 1024));
    assert.equal(r.code, 1);
    assert.ok(r.stderr.length < 200, r.stderr.slice(0, 300));
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
    assert.match(r.stderr, /^error: cannot read does-not-exist\.yaml: no such file/m);
  });

  for (const [what, args, message] of [
    ["--ca", ["inject-ca", "--ca", "/dev/zero", "-f", "manifests/webhook/mutating-webhook-configuration.yaml"], /^error: --ca \/dev\/zero: larger than 1 MiB: not a CA certificate file$/m],
    ["-f", ["inject-ca", "--ca", "examples/preflight.yaml", "-f", "/dev/zero"], /^error: -f \/dev\/zero: larger than 64 MiB: refused unread$/m],
  ] as const) {
    it(`inject-ca refuses an endless ${what} input at its limit, naming it`, async () => {
      const r = await cli([...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    });
  }

  // A pipe or device has no size to trust: `-f <(kubectl get modules -o yaml)` or /dev/stdin.
  it("reads a named pipe given as a file to its end", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-fifo-"));
    try {
      const fifo = path.join(dir, "objects.yaml");
      await new Promise<void>((resolve, reject) => execFile("mkfifo", [fifo], (err) => (err ? reject(err) : resolve())));
      const [r] = await Promise.all([cli(["validate", "-f", fifo]), readFile("examples/preflight.yaml").then((yaml) => writeFile(fifo, yaml))]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /kind: PreflightValidationOCP/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 naming the path when it is a directory, and how to name its files", async () => {
    const r = await cli(["validate", "-f", "src"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: cannot read src: it is a directory \(EISDIR\); name each file in it, one flag per file$/m);
  });

  // check and sign read their Modules as validate does: an endless or huge input is refused at the
  // limit, naming the file, rather than read until the string or the heap gives out.
  for (const command of [["check", "--kernel", "5.14.0-1.el9.x86_64"], ["sign", "--kernel", "5.14.0-1.el9.x86_64", "--key", "k", "--cert", "c"]]) {
    it(`${command[0]} refuses an endless --module input (/dev/zero) at the input limit, naming it`, async () => {
      const r = await cli([command[0]!, "--module", "/dev/zero", ...command.slice(1)]);
      assert.equal(r.code, 2);
      // The report, this error among it, is on stdout.
      assert.match(r.stdout + r.stderr, /^error: \/dev\/zero: larger than 64 MiB: refused unread$/m);
    });
  }
});
