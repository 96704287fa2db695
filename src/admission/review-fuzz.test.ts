import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightValidationOCP } from "../api/index.js";
import { moduleRoutes } from "./module-routes.js";
import { preflightRoutes } from "./preflight-routes.js";
import { decodeAdmissionReview } from "./review-decode.js";
import { errored } from "./review-respond.js";
import { answerProblems, hostileReview, mutate, seededRandom } from "./test-hostile-reviews.js";

// A property of every route: whatever review decodes, the answer is one the API server can decode,
// a refusal names what is wrong, and nothing throws. Seeded, so a failure names its case and repeats.

const CASES = 1500;

/** PreflightValidationOCPs of the cache, some of them odd (the lister feeds warnings and Module checks). */
function cluster(rnd: () => number) {
  const one = (name: string) => ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64", useRTKernel: false } });
  const list = [one("a"), mutate(one("b"), rnd, 2), mutate(one("c"), rnd, 1)] as unknown as PreflightValidationOCP[];
  return { list: () => list };
}

/** What http.ts would answer: a decode failure is a 400 review; a decision travels in a 200 unless it is a 400. */
function answer(handle: (r: never) => { response: { status?: { code: number } } }, wire: string) {
  const decoded = decodeAdmissionReview(JSON.parse(wire));
  const response = decoded.ok ? handle(decoded.request as never).response : errored(decoded.uid, 400, decoded.message);
  return { status: response.status?.code === 400 ? 400 : 200, body: JSON.parse(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response })) as unknown };
}

describe("every admission route", () => {
  describe(`given ${CASES} seeded hostile reviews`, () => {
    it("answers each with a review the API server can decode, a refusal naming what is wrong, and never throws", () => {
      const rnd = seededRandom(20261205);
      const routes = [...preflightRoutes(), ...preflightRoutes(cluster(rnd)), ...moduleRoutes(), ...moduleRoutes(cluster(rnd))];
      const failures: string[] = [];
      for (let i = 0; i < CASES; i++) {
        const route = routes[i % routes.length]!;
        const wire = JSON.stringify(hostileReview(rnd, route.webhook.includes("module") ? "Module" : "PreflightValidationOCP"));
        try {
          const { status, body } = answer(route.handle as never, wire);
          for (const p of answerProblems(status, body)) failures.push(`case ${i} (${route.webhook}): ${p}`);
        } catch (err) {
          failures.push(`case ${i} (${route.webhook}): threw ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      assert.deepEqual(failures.slice(0, 10), []);
    });
  });
});
