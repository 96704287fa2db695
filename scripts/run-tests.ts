// `node --import tsx scripts/run-tests.ts <unit|integration|all> [--root DIR] [--timeout MS] [node test flags...]`:
// runs a suite's test files (scripts/test-files.ts), two at a time, each in a Node test-runner process
// of its own under --test-timeout, and kills a file's process that has not exited by its deadline, so
// that a hanging test fails the run instead of holding it. Prints every file's TAP and a summary, and
// exits 1 when any test failed or any file was killed. `npm test`, `npm run test:unit` and
// `npm run test:integration` call it.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { findTestFiles, isTestSuite, TEST_SUITES } from "./test-files.js";

/**
 * Node 20 applies --test-timeout to each file as a whole; newer Nodes apply it to each test
 * (nodejs/node#57672), and a test cut off there may leave a socket or timer that keeps its file's
 * process alive for good. So every file also gets a deadline: twice the timeout plus a margin, after
 * which its process is killed and the file counts as failed. (`--test-force-exit` would end such a
 * process too, but on Node 20 and 24 alike it ended files before all their tests had run: tests went
 * missing from the count without failing.)
 */
const TEST_TIMEOUT_MS = 180_000;
const DEADLINE_MARGIN_MS = 5_000;
const CONCURRENCY = 2;

const USAGE = `usage: run-tests.ts <${Object.keys(TEST_SUITES).join("|")}> [--root DIR] [--timeout MS] [node test flags...]`;

/** The test-runner processes running now, each the leader of its own process group. */
const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is gone already.
  }
}

interface FileResult {
  readonly file: string;
  readonly code: number | null;
  readonly killed: boolean;
  readonly tests: number;
  /** Tests not run: `--test-name-pattern` (the README's example) skips every test it does not match. */
  readonly skipped: number;
  readonly failed: number;
  readonly seconds: number;
}

/** The `# tests N`, `# skipped N` and `# fail N` lines of a file's TAP summary. */
function counts(tap: string): { tests: number; skipped: number; failed: number } {
  const n = (key: string) => Number(new RegExp(`^# ${key} (\\d+)$`, "m").exec(tap)?.[1] ?? 0);
  return { tests: n("tests"), skipped: n("skipped"), failed: n("fail") + n("cancelled") };
}

function runFile(file: string, timeoutMs: number, passThrough: readonly string[]): Promise<FileResult> {
  const started = performance.now();
  // Child output is printed whole once the file is done, so that two files' lines never interleave.
  // A process group of its own: the test runner runs the file in a child of its own, which a kill of
  // the runner alone would leave behind (held open for good by what the cut-off test left running).
  const child = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", `--test-timeout=${timeoutMs}`, ...passThrough, file], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  running.add(child);
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  let killed = false;
  const deadline = setTimeout(() => {
    killed = true;
    killGroup(child, "SIGKILL");
  }, timeoutMs * 2 + DEADLINE_MARGIN_MS);
  return new Promise((resolve) => {
    child.once("exit", (code) => {
      clearTimeout(deadline);
      running.delete(child);
      // Whatever the file's tests left running in its group goes with it.
      killGroup(child, "SIGKILL");
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`# file ${file}\n${out}`);
      if (killed) process.stdout.write(`# ${file}: its process was still running ${Math.round(seconds)} s after it started (a test cut off at the timeout left it running); killed\n`);
      const { tests, skipped, failed } = counts(out);
      // A killed process never printed its counts: its file has at least the test that was cut off.
      resolve({ file, code, killed, tests, skipped, failed: killed ? Math.max(failed, 1) : failed, seconds });
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const [suite, ...rest] = argv;
  if (suite === undefined || !isTestSuite(suite)) {
    console.error(USAGE);
    return 2;
  }
  let root = process.cwd();
  let timeoutMs = TEST_TIMEOUT_MS;
  const passThrough: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--root" && rest[i + 1] !== undefined) root = path.resolve(rest[++i]!);
    else if (a === "--timeout" && /^\d+$/.test(rest[i + 1] ?? "")) timeoutMs = Number(rest[++i]);
    else passThrough.push(a);
  }
  const files = findTestFiles(root, suite).map((f) => path.relative(process.cwd(), path.join(root, f)));
  if (files.length === 0) {
    console.error(`no *.test.ts below ${TEST_SUITES[suite].join(", ")} in ${root}`);
    return 1;
  }
  const results: FileResult[] = [];
  const queue = [...files];
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      stopping = true;
      for (const child of running) killGroup(child, signal);
    });
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, files.length) }, async () => {
      for (let f = queue.shift(); f !== undefined && !stopping; f = queue.shift()) results.push(await runFile(f, timeoutMs, passThrough));
    }),
  );
  const bad = results.filter((r) => r.killed || r.code !== 0 || r.failed > 0);
  const tests = results.reduce((n, r) => n + r.tests, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 3).map((r) => `${r.file} ${r.seconds.toFixed(0)} s`);
  process.stdout.write(`# files ${results.length} of ${files.length}, tests ${tests}${skipped ? ` (${skipped} skipped)` : ""}, failed ${failed}, files failed ${bad.length}; slowest: ${slowest.join(", ")}\n`);
  for (const r of bad) process.stdout.write(`# FAILED ${r.file}${r.killed ? " (killed at its deadline)" : r.failed ? ` (${r.failed} failed)` : ` (exit code ${r.code})`}\n`);
  return bad.length || results.length < files.length ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
