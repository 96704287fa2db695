import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./check.js";

describe("parseTimeout()", () => {
  it("reads kubectl-style durations and bare seconds as milliseconds", () => {
    assert.deepEqual(["90", "90s", "1m30s", "500ms", "2h", "1.5s"].map(sut.parseTimeout), [90_000, 90_000, 90_000, 500, 7_200_000, 1500]);
  });

  it("refuses what is not a positive duration of at most a day", () => {
    assert.deepEqual(["", "0", "0s", "soon", "5 m", "1m30", "-1s", "25h", "1d"].map(sut.parseTimeout), Array(9).fill(null));
  });
});

describe("parseCheckArgs()", () => {
  it("refuses a --platform that is not os/arch[/variant]", () => {
    const r = sut.parseCheckArgs(["--module", "m.yaml", "--kernel", "k", "--platform", "bogus"]);
    assert.ok(!r.ok);
    assert.match(r.errors[0]!, /^--platform must be os\/arch or os\/arch\/variant, not "bogus"/);
  });

  it("takes --timeout and --verbose", () => {
    const r = sut.parseCheckArgs(["--module", "m.yaml", "--kernel", "k", "--timeout", "1m", "-v"]);
    assert.ok(r.ok);
    assert.equal(r.options.timeoutMs, 60_000);
    assert.equal(r.options.verbose, true);
  });
});
