import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { VALIDATE_PREFLIGHT_PATH } from "../api/index.js";
import { preflight, RELEASE_DIGEST, reviewOf } from "../../test/support/reviews.js";
import * as sut from "./preflight-routes.js";

describe("preflightRoutes()", () => {
  describe("given onCreateAdmitted", () => {
    const nudged: string[] = [];
    const validate = sut.preflightRoutes(undefined, { onCreateAdmitted: (name) => nudged.push(name) }).find((r) => r.path === VALIDATE_PREFLIGHT_PATH)!;
    const run = (over: Parameters<typeof reviewOf>[0]) => validate.handle(reviewOf(over).request!);

    it("tells the runner about an admitted CREATE, and about nothing else: dry runs, denials, updates", () => {
      run({ object: preflight("created") });
      run({ object: preflight("dry"), dryRun: true });
      run({ object: preflight("Bad_Name") });
      run({ object: preflight("no-release", {}) });
      run({ operation: "UPDATE", object: preflight("updated"), oldObject: preflight("updated", { releaseImage: RELEASE_DIGEST }) });
      assert.deepEqual(nudged, ["created"]);
    });
  });
});
