import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

// ADRs are numbered without gaps, and each title carries its own number (docs/adr/0001).
describe("docs/adr", () => {
  const files = readdirSync("docs/adr").filter((f) => /^\d{4}-.*\.md$/.test(f)).sort();

  it("numbers ADRs from 1 without gaps", () => {
    assert.deepEqual(files.map((f) => Number(f.slice(0, 4))), files.map((_, i) => i + 1));
  });

  for (const f of files) {
    it(`${f} has its number in the title and the required sections`, () => {
      const text = readFileSync(`docs/adr/${f}`, "utf8");
      assert.match(text, new RegExp(`^# ${Number(f.slice(0, 4))}\\. `));
      for (const h of ["Date:", "Status:", "## Context", "## Decision", "## Alternatives", "## Consequences"]) assert.ok(text.includes(h), `${f} lacks ${h}`);
    });
  }
});
