// `node --import tsx scripts/run-tests.ts <unit|integration|all> [--root DIR] [--timeout MS] [node test flags...]`:
// runs a suite's test files (scripts/test-files.ts) with Node's test runner, two files at a time, each
// under --test-timeout so that a hanging test fails the run instead of holding it. Exits with the
// runner's code. `npm test`, `npm run test:unit` and `npm run test:integration` call it.
import { spawn } from "node:child_process";
import path from "node:path";
import { findTestFiles, isTestSuite, TEST_SUITES } from "./test-files.js";

/**
 * Node 20 applies --test-timeout to each file as a whole (its child process is cancelled); newer Nodes
 * apply it to each test (nodejs/node#57672). So the limit is set above the slowest file (about 40 s
 * alone, twice that with two files at a time on two busy cores) and far below a hang worth noticing.
 */
const TEST_TIMEOUT_MS = 180_000;
const CONCURRENCY = 2;
/**
 * Node 22 and later time out each test rather than each file, so a file whose timed-out test left a
 * socket or timer open would never exit, nor would the run: --test-force-exit ends it once its tests are
 * done. Not on Node 20, which cancels the whole file anyway, and where the flag ended some files before
 * all their tests had run (26 fewer tests counted).
 */
const FORCE_EXIT = Number(process.versions.node.split(".")[0]) >= 22 ? ["--test-force-exit"] : [];

const USAGE = `usage: run-tests.ts <${Object.keys(TEST_SUITES).join("|")}> [--root DIR] [--timeout MS] [node test flags...]`;

function main(argv: readonly string[]): void {
  const [suite, ...rest] = argv;
  if (suite === undefined || !isTestSuite(suite)) {
    console.error(USAGE);
    process.exit(2);
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
  const files = findTestFiles(root, suite).map((f) => path.join(root, f));
  if (files.length === 0) {
    console.error(`no *.test.ts below ${TEST_SUITES[suite].join(", ")} in ${root}`);
    process.exit(1);
  }
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${CONCURRENCY}`, `--test-timeout=${timeoutMs}`, ...FORCE_EXIT, ...passThrough, ...files.map((f) => path.relative(process.cwd(), f))],
    { stdio: "inherit" },
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main(process.argv.slice(2));
