// The test runner itself: it finds every test file, at any depth, and a hanging test fails the run
// instead of holding it (one broken test once held a run for six minutes).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as sut from "../scripts/test-files.js";

const REPO = process.cwd();

async function tree(root: string, files: readonly string[]): Promise<void> {
  for (const f of files) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await writeFile(path.join(root, f), "");
  }
}

/** Every `*.test.ts` git knows of or would add, found without the runner's own walk. */
async function gitTestFiles(): Promise<string[]> {
  const { stdout } = await promisify(execFile)("git", ["ls-files", "--cached", "--others", "--exclude-standard", "--", "*.test.ts"], { cwd: REPO });
  return stdout.split("\n").filter(Boolean).sort();
}

describe("findTestFiles()", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "kmm-preflight-test-files-"));
    await tree(root, [
      "src/top.test.ts",
      "src/a/b/c/deep.test.ts",
      "src/a/helper.ts",
      "src/a/node_modules/dep/x.test.ts",
      "test/it.test.ts",
      "test/support/registry.ts",
      "test/e2e/cluster/upgrade.test.ts",
      "bench/not-a-suite.test.ts",
    ]);
  });
  after(() => rm(root, { recursive: true, force: true }));

  describe("given test files at several depths", () => {
    it("finds the unit tests below src/ at any depth", () => {
      assert.deepEqual(sut.findTestFiles(root, "unit"), ["src/a/b/c/deep.test.ts", "src/top.test.ts"]);
    });

    it("finds the integration tests below test/ at any depth", () => {
      assert.deepEqual(sut.findTestFiles(root, "integration"), ["test/e2e/cluster/upgrade.test.ts", "test/it.test.ts"]);
    });

    it("runs both for all", () => {
      assert.deepEqual(sut.findTestFiles(root, "all"), [...sut.findTestFiles(root, "unit"), ...sut.findTestFiles(root, "integration")].sort());
    });
  });
});

describe("the repository's test files", () => {
  it("all belong to a suite: none sits where the runner does not look", async () => {
    const known = await gitTestFiles();
    assert.ok(known.length > 50, `git lists ${known.length} test files`);
    assert.deepEqual(known.filter((f) => !sut.findTestFiles(REPO, "all").includes(f)), []);
  });
});

/** The command lines of running processes that name `text` (from /proc). */
async function processesNaming(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replaceAll("\0", " ")}`);
  }
  return found;
}

describe("scripts/run-tests.ts", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "kmm-preflight-hang-"));
    await mkdir(path.join(root, "src/a/b/c"), { recursive: true });
    // A test that waits for an answer that never comes, on a socket that keeps its process alive.
    await writeFile(
      path.join(root, "src/a/b/c/hang.test.ts"),
      `import { it } from "node:test";
import net from "node:net";
it("waits forever", async () => {
  const server = net.createServer(() => {}).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const socket = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await new Promise((resolve) => socket.once("data", resolve));
});
`,
    );
  });
  after(() => rm(root, { recursive: true, force: true }));

  /** `timeoutMs` short for the hanging test; long where tests must pass on a loaded machine (tsx's start counts on Node 20). */
  async function runTests(suite: string, dir: string, timeoutMs = 2000, ...nodeFlags: string[]): Promise<{ code: number | null; out: string; ms: number }> {
    const env = { ...process.env };
    delete env["NODE_TEST_CONTEXT"]; // this file runs under the test runner; the nested run is a run of its own
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/run-tests.ts", suite, "--root", dir, "--timeout", String(timeoutMs), ...nodeFlags], { cwd: REPO, env });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const started = Date.now();
    const watchdog = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearTimeout(watchdog);
    return { code, out, ms: Date.now() - started };
  }

  it("cuts a hanging test off at the timeout and fails the run", async () => {
    const { code, out, ms } = await runTests("unit", root);
    assert.equal(code, 1, out);
    assert.ok(ms < 30_000, `took ${ms} ms`);
    assert.match(out, /hang\.test\.ts/);
    assert.match(out, /timed out after 2000ms/);
    // Node 20 cancels the file and counts the test; newer Nodes fail the test, and the process it leaves
    // running is killed before it prints its counts.
    assert.match(out, /^# files 1 of 1, tests [01], failed 1, files failed 1;/m);
    assert.match(out, /^# FAILED \S*hang\.test\.ts/m);
    // Nor does it leave a process behind: the test runner's child for the file goes with it.
    assert.deepEqual(await processesNaming(root), [], "processes of the hanging file are still running");
  });

  it("counts every test of every file, and passes when all pass", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-pass-"));
    try {
      await mkdir(path.join(dir, "test/deep/er"), { recursive: true });
      const file = (n: number) => `import { it } from "node:test";\n${Array.from({ length: n }, (_, i) => `it("t${i}", () => {});`).join("\n")}\n`;
      await writeFile(path.join(dir, "test/one.test.ts"), file(3));
      await writeFile(path.join(dir, "test/deep/er/two.test.ts"), file(4));
      const { code, out } = await runTests("integration", dir, 20_000);
      assert.equal(code, 0, out);
      assert.match(out, /^# files 2 of 2, tests 7, failed 0, files failed 0;/m);
      // With a name pattern (the README's `npm run test:unit -- --test-name-pattern=...`), Node 20 counts
      // the tests it does not match as skipped, and the summary says so rather than counting them as run;
      // newer Nodes leave them out of the count.
      const filtered = await runTests("integration", dir, 20_000, "--test-name-pattern=^t1$");
      assert.equal(filtered.code, 0, filtered.out);
      assert.match(filtered.out, /^# files 2 of 2, tests (7 \(5 skipped\)|2), failed 0, files failed 0;/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
