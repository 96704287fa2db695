import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";

/** Polls `cond` until it holds; fails the test, naming `what`, after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000, pollMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await sleep(pollMs);
  }
}
