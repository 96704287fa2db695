// Which files each test suite runs: every `*.test.ts` at any depth below its folders, so that a test
// in a new, deeper folder cannot be skipped silently (a fixed pattern like src/*/*.test.ts would).
// test/test-files.test.ts checks that every test file of the repository belongs to a suite.
import { readdirSync } from "node:fs";
import path from "node:path";

/** Unit tests sit beside the code in src/; integration tests (real servers, registries, processes) in test/. */
export const TEST_SUITES = {
  unit: ["src"],
  integration: ["test"],
  all: ["src", "test"],
} as const satisfies Record<string, readonly string[]>;

export type TestSuite = keyof typeof TEST_SUITES;

export const isTestSuite = (s: string): s is TestSuite => Object.hasOwn(TEST_SUITES, s);

/** The suite's test files below `root`, as sorted paths relative to it (with `/`). */
export function findTestFiles(root: string, suite: TestSuite): string[] {
  return TEST_SUITES[suite].flatMap((dir) => walk(root, dir)).sort();
}

function walk(root: string, dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(root, dir), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return entries.flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(root, rel);
    return e.isFile() && e.name.endsWith(".test.ts") ? [rel] : [];
  });
}
