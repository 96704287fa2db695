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

/** Asks until `ok` holds of the answer (a cache syncs and follows its watch asynchronously); fails naming `what` and the last answer. */
export async function eventually<T>(ask: () => Promise<T>, ok: (t: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await ask();
    if (ok(t)) return t;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; last answer: ${JSON.stringify(t)}`);
    await sleep(50);
  }
}
