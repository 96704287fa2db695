import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fastJsonPatch from "fast-json-patch";
import { GROUP, PREFLIGHT_KIND, PREFLIGHT_VERSION, type GroupVersionKind, type PreflightValidationOCP } from "../api/index.js";
import { applyPreflightDefaults } from "./preflight-defaults.js";
import { preflightDefaulter, preflightValidator } from "./preflight-webhook.js";
import { moduleValidator } from "./module-webhook.js";
import { MODULE_GVK } from "./module-routes.js";
import { validModule } from "./test-modules.js";
import type { AdmissionRequest, AdmissionResponse, Operation } from "./review-types.js";
import type { Defaulter, Validator, Verdict } from "./webhook.js";
import { FieldPath } from "../validation/field-path.js";
import { invalid, required } from "../validation/field-error.js";
import * as sut from "./review-handle.js";

const UID = "705ab4f5-6393-11e8-b7cc-42010a800002";
const TARGET: GroupVersionKind = { group: GROUP, version: PREFLIGHT_VERSION, kind: PREFLIGHT_KIND };
const DIGEST = "sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const BY_DIGEST = `quay.io/openshift-release-dev/ocp-release@${DIGEST}`;
const BY_TAG = "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64";

type JsonOp = { op: string; path: string; value?: unknown };

function pfvo(spec: Record<string, unknown> | null, metadata: Record<string, unknown> = { name: "preflight" }, status?: unknown): PreflightValidationOCP {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: metadata as PreflightValidationOCP["metadata"],
    spec: spec as unknown as PreflightValidationOCP["spec"],
    ...(status !== undefined && { status: status as PreflightValidationOCP["status"] }),
  };
}

function request(operation: Operation, fields: Partial<Omit<AdmissionRequest, "operation">> = {}): AdmissionRequest {
  return { uid: UID, kind: TARGET, resource: { group: GROUP, version: PREFLIGHT_VERSION, resource: "preflightvalidationsocp" }, operation, ...fields };
}

const decodePatch = (r: AdmissionResponse): JsonOp[] => {
  assert.equal(r.patchType, "JSONPatch");
  assert.equal(typeof r.patch, "string");
  return JSON.parse(Buffer.from(r.patch!, "base64").toString("utf8")) as JsonOp[];
};

const applied = (doc: unknown, ops: JsonOp[]): unknown =>
  fastJsonPatch.applyPatch(structuredClone(doc), ops as fastJsonPatch.Operation[], true, false).newDocument;

/** A validator that records its calls and answers with `verdict` (or throws `throws`). */
function recordingValidator(verdict: Verdict = { errors: [], warnings: [] }, throws?: unknown) {
  const calls: [string, ...unknown[]][] = [];
  const answer = (name: string, ...args: unknown[]): Verdict => {
    calls.push([name, ...args]);
    if (throws !== undefined) throw throws;
    return verdict;
  };
  const v: Validator<PreflightValidationOCP> = {
    validateCreate: (o) => answer("create", o),
    validateUpdate: (old, o) => answer("update", old, o),
    validateDelete: (o) => answer("delete", o),
  };
  return { v, calls };
}

function countingDefaulter(inner: Defaulter<PreflightValidationOCP> = applyPreflightDefaults) {
  const d = Object.assign((o: Readonly<PreflightValidationOCP>) => {
    d.calls++;
    return inner(o);
  }, { calls: 0 });
  return d;
}

const OTHER_KINDS: [string, GroupVersionKind][] = [
  ["another kind", { ...TARGET, kind: "Module" }],
  ["another version", { ...TARGET, version: "v1beta1" }],
  ["another group", { ...TARGET, group: "example.com" }],
  ["the core group", { group: "", version: "v1", kind: "Pod" }],
];

describe("handleMutation()", () => {
  describe("given a CREATE whose spec lacks the flags", () => {
    const obj = pfvo({ releaseImage: BY_DIGEST }, { name: "preflight", labels: { a: "b" } }, { modules: [] });
    const out = sut.handleMutation(request("CREATE", { object: obj }), TARGET, preflightDefaulter);

    it("allows it with a patch, echoing the uid", () => {
      assert.equal(out.decision, "patched");
      assert.equal(out.response.uid, UID);
      assert.equal(out.response.allowed, true);
      assert.equal(out.response.status, undefined);
    });

    it("sends a patch that, applied to the object, yields the defaulted object", () => {
      assert.deepEqual(applied(obj, decodePatch(out.response)), applyPreflightDefaults(obj));
    });

    it("patches only paths under /spec/", () => {
      const ops = decodePatch(out.response);
      assert.ok(ops.length > 0);
      for (const op of ops) assert.match(op.path, /^\/spec\//, JSON.stringify(op));
      assert.deepEqual(ops.map((o) => o.path).sort(), ["/spec/pushBuiltImage", "/spec/useRTKernel"]);
    });

    it("does not modify the request's object", () => {
      assert.deepEqual(obj, pfvo({ releaseImage: BY_DIGEST }, { name: "preflight", labels: { a: "b" } }, { modules: [] }));
    });
  });

  describe("given null flags", () => {
    it("sends a patch that sets them to false", () => {
      const obj = pfvo({ releaseImage: BY_DIGEST, pushBuiltImage: null, useRTKernel: null });
      const out = sut.handleMutation(request("CREATE", { object: obj }), TARGET, preflightDefaulter);
      assert.equal(out.decision, "patched");
      const after = applied(obj, decodePatch(out.response)) as PreflightValidationOCP;
      assert.deepEqual(after.spec, { releaseImage: BY_DIGEST, pushBuiltImage: false, useRTKernel: false });
    });
  });

  describe("given explicit true flags", () => {
    it("answers with no patch", () => {
      const obj = pfvo({ releaseImage: BY_DIGEST, pushBuiltImage: true, useRTKernel: true });
      const out = sut.handleMutation(request("CREATE", { object: obj }), TARGET, preflightDefaulter);
      assert.equal(out.decision, "allowed");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
    });
  });

  describe("given an object that is already defaulted", () => {
    it("answers allowed with no patch", () => {
      const obj = applyPreflightDefaults(pfvo({ releaseImage: BY_DIGEST }));
      const out = sut.handleMutation(request("CREATE", { object: obj }), TARGET, preflightDefaulter);
      assert.equal(out.decision, "allowed");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
    });

    it("answers with no patch for the result of its own patch (idempotent)", () => {
      const obj = pfvo({ releaseImage: BY_TAG, useRTKernel: true });
      const first = sut.handleMutation(request("CREATE", { object: obj }), TARGET, preflightDefaulter);
      const once = applied(obj, decodePatch(first.response));
      const second = sut.handleMutation(request("CREATE", { object: once }), TARGET, preflightDefaulter);
      assert.deepEqual(second.response, { uid: UID, allowed: true });
    });
  });

  describe("given a spec that is not an object", () => {
    for (const spec of [null, "x"]) {
      it(`answers allowed with no patch for ${JSON.stringify(spec)} (validation reports it)`, () => {
        const out = sut.handleMutation(request("CREATE", { object: pfvo(spec as Record<string, unknown> | null) }), TARGET, preflightDefaulter);
        assert.deepEqual(out.response, { uid: UID, allowed: true });
      });
    }
  });

  describe("given an UPDATE", () => {
    it("defaults the new object", () => {
      const old = applyPreflightDefaults(pfvo({ releaseImage: BY_DIGEST }));
      const obj = pfvo({ releaseImage: BY_DIGEST, pushBuiltImage: true });
      const out = sut.handleMutation(request("UPDATE", { object: obj, oldObject: old }), TARGET, preflightDefaulter);
      assert.equal(out.decision, "patched");
      assert.deepEqual(decodePatch(out.response), [{ op: "add", path: "/spec/useRTKernel", value: false }]);
    });
  });

  describe("given a DELETE", () => {
    it("is skipped and never defaulted", () => {
      const d = countingDefaulter();
      const old = pfvo({ releaseImage: BY_DIGEST });
      const out = sut.handleMutation(request("DELETE", { object: old, oldObject: old }), TARGET, d);
      assert.equal(out.decision, "skipped");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
      assert.equal(d.calls, 0);
      assert.equal(typeof out.reason, "string");
    });
  });

  describe("given a CONNECT", () => {
    it("is skipped", () => {
      const d = countingDefaulter();
      const out = sut.handleMutation(request("CONNECT"), TARGET, d);
      assert.equal(out.decision, "skipped");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
      assert.equal(d.calls, 0);
    });
  });

  describe("given a request for a kind this webhook does not serve", () => {
    for (const [what, kind] of OTHER_KINDS) {
      it(`skips ${what} and allows it with no patch`, () => {
        const d = countingDefaulter();
        const out = sut.handleMutation(request("CREATE", { kind, object: pfvo({ releaseImage: BY_DIGEST }) }), TARGET, d);
        assert.equal(out.decision, "skipped");
        assert.deepEqual(out.response, { uid: UID, allowed: true });
        assert.equal(d.calls, 0);
      });
    }
  });

  describe("given the status subresource", () => {
    it("skips it and allows it with no patch", () => {
      const d = countingDefaulter();
      const out = sut.handleMutation(request("UPDATE", { subResource: "status", object: pfvo({ releaseImage: BY_DIGEST }), oldObject: pfvo({ releaseImage: BY_DIGEST }) }), TARGET, d);
      assert.equal(out.decision, "skipped");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
      assert.equal(d.calls, 0);
    });
  });

  describe("given no object", () => {
    for (const object of [undefined, null, "x", 3]) {
      it(`answers 400 with the uid for ${JSON.stringify(object) ?? "undefined"}`, () => {
        const out = sut.handleMutation(request("CREATE", { object }), TARGET, preflightDefaulter);
        assert.equal(out.decision, "errored");
        assert.equal(out.response.uid, UID);
        assert.equal(out.response.allowed, false);
        assert.equal(out.response.status?.code, 400);
      });
    }
  });

  describe("given a defaulter that throws", () => {
    for (const thrown of [new Error("defaulter bug"), "a string", undefined]) {
      it(`answers 500 with the uid and does not throw (${String(thrown)})`, () => {
        const boom: Defaulter<PreflightValidationOCP> = () => {
          throw thrown;
        };
        let out: sut.Outcome | undefined;
        assert.doesNotThrow(() => {
          out = sut.handleMutation(request("CREATE", { object: pfvo({ releaseImage: BY_DIGEST }) }), TARGET, boom);
        });
        assert.equal(out!.decision, "errored");
        assert.equal(out!.response.uid, UID);
        assert.equal(out!.response.allowed, false);
        assert.equal(out!.response.status?.code, 500);
        assert.equal("patch" in out!.response, false);
      });
    }
  });

  describe("given a dryRun request", () => {
    it("answers exactly as without dryRun", () => {
      for (const obj of [pfvo({ releaseImage: BY_DIGEST }), applyPreflightDefaults(pfvo({ releaseImage: BY_DIGEST })), pfvo(null)]) {
        const wet = sut.handleMutation(request("CREATE", { object: obj }), TARGET, preflightDefaulter);
        const dry = sut.handleMutation(request("CREATE", { object: obj, dryRun: true }), TARGET, preflightDefaulter);
        assert.deepEqual(dry, wet);
      }
    });
  });
});

describe("handleValidation()", () => {
  describe("given a valid CREATE pinned by digest", () => {
    it("allows it without warnings", () => {
      const out = sut.handleValidation(request("CREATE", { object: pfvo({ releaseImage: BY_DIGEST }) }), TARGET, preflightValidator());
      assert.equal(out.decision, "allowed");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
    });
  });

  describe("given a valid CREATE by tag", () => {
    it("allows it with a warning", () => {
      const out = sut.handleValidation(request("CREATE", { object: pfvo({ releaseImage: BY_TAG }) }), TARGET, preflightValidator());
      assert.equal(out.decision, "allowed");
      assert.equal(out.response.allowed, true);
      assert.equal(out.response.warnings?.length, 1);
    });
  });

  describe("given an invalid CREATE", () => {
    const obj = pfvo({ releaseImage: "", pushBuiltImage: "true", relaseImage: BY_DIGEST }, { name: "preflight" });
    const out = sut.handleValidation(request("CREATE", { object: obj }), TARGET, preflightValidator());

    it("denies it with 422 Invalid, echoing the uid", () => {
      assert.equal(out.decision, "denied");
      assert.equal(out.response.uid, UID);
      assert.equal(out.response.allowed, false);
      assert.equal(out.response.status?.code, 422);
      assert.equal(out.response.status?.reason, "Invalid");
    });

    it("lists a cause for every error, with its field", () => {
      assert.deepEqual(
        out.response.status?.details?.causes?.map((c) => [c.reason, c.field]),
        [
          ["FieldValueRequired", "spec.releaseImage"],
          ["FieldValueInvalid", "spec.pushBuiltImage"],
          ["FieldValueForbidden", "spec.relaseImage"],
        ],
      );
    });

    it("names the object and its kind in the message and details", () => {
      assert.match(out.response.status!.message, /^PreflightValidationOCP\.kmm\.sigs\.x-k8s\.io "preflight" is invalid: \[/);
      assert.deepEqual(
        [out.response.status?.details?.name, out.response.status?.details?.group, out.response.status?.details?.kind],
        ["preflight", GROUP, PREFLIGHT_KIND],
      );
    });
  });

  describe("given a validator that denies with warnings", () => {
    it("keeps the warnings on the denial", () => {
      const { v } = recordingValidator({ errors: [required(FieldPath.root("spec", "releaseImage"))], warnings: ["careful"] });
      const out = sut.handleValidation(request("CREATE", { object: pfvo({}) }), TARGET, v);
      assert.equal(out.response.status?.code, 422);
      assert.deepEqual(out.response.warnings, ["careful"]);
    });
  });

  describe("given an object without a name", () => {
    it("names the denial after request.name", () => {
      const { v } = recordingValidator({ errors: [invalid(FieldPath.root("spec"), 1, "x")], warnings: [] });
      const out = sut.handleValidation(request("CREATE", { name: "from-request", object: pfvo({}, {}) }), TARGET, v);
      assert.equal(out.response.status?.details?.name, "from-request");
    });
  });

  // The API server decodes JSON nested up to 10000 deep; under a CRD that keeps unknown fields such a
  // value reaches the webhook, on an UPDATE in both objects. Comparing them overflowed the stack: a
  // 500 "Maximum call stack size exceeded" instead of a decision.
  describe("given an UPDATE whose objects both hold the same value nested 10000 deep", () => {
    const deep = () => JSON.parse("[".repeat(10_000) + "]".repeat(10_000)) as unknown;
    it("decides a PreflightValidationOCP update: the unknown field both carry is ratcheted", () => {
      const obj = () => pfvo({ releaseImage: BY_DIGEST, extra: deep() });
      const out = sut.handleValidation(request("UPDATE", { object: obj(), oldObject: obj() }), TARGET, preflightValidator());
      assert.equal(out.decision, "allowed", out.reason);
    });

    it("decides a Module update", () => {
      const mod = () => {
        const m = validModule();
        (m.spec as unknown as Record<string, unknown>)["extra"] = deep();
        return m;
      };
      const out = sut.handleValidation(request("UPDATE", { kind: MODULE_GVK, object: mod(), oldObject: mod() }), MODULE_GVK, moduleValidator());
      assert.notEqual(out.decision, "errored", out.reason);
    });
  });

  // The API server decodes the answer into metav1.Status, whose details.name is a string: any other
  // type there makes the whole answer undecodable, and the person sees a webhook failure, not the denial.
  describe("given a metadata.name that is not a string", () => {
    for (const [what, name] of [["a number", 5], ["true", true], ["an object", { a: 1 }], ["a 100000-deep list", JSON.parse("[".repeat(100_000) + "]".repeat(100_000))]] as const) {
      it(`given ${what}, denies naming the field, with a string details.name from what else names the object`, () => {
        const out = sut.handleValidation(request("CREATE", { name: "from-request", object: pfvo({ releaseImage: BY_DIGEST }, { name }) }), TARGET, preflightValidator());
        assert.equal(out.decision, "denied");
        assert.equal(out.response.status?.details?.name, "from-request");
        assert.deepEqual(out.response.status?.details?.causes?.map((c) => c.field), ["metadata.name"]);
        assert.match(out.response.status!.message, /^PreflightValidationOCP\.kmm\.sigs\.x-k8s\.io "from-request" is invalid: metadata\.name: Invalid value: .*must be a string$/);
      });
    }
  });

  describe("given an UPDATE", () => {
    it("calls validateUpdate with the old object first, then the new one", () => {
      const { v, calls } = recordingValidator();
      const old = pfvo({ releaseImage: BY_DIGEST });
      const obj = pfvo({ releaseImage: BY_DIGEST, pushBuiltImage: true });
      sut.handleValidation(request("UPDATE", { object: obj, oldObject: old }), TARGET, v);
      assert.deepEqual(calls, [["update", old, obj]]);
    });

    it("denies a changed releaseImage as immutable", () => {
      const old = pfvo({ releaseImage: BY_DIGEST });
      const obj = pfvo({ releaseImage: BY_TAG });
      const out = sut.handleValidation(request("UPDATE", { object: obj, oldObject: old }), TARGET, preflightValidator());
      assert.equal(out.response.status?.code, 422);
      assert.deepEqual(out.response.status?.details?.causes?.map((c) => c.field), ["spec.releaseImage"]);
    });

    it("allows a mutable change without warnings", () => {
      const old = pfvo({ releaseImage: BY_TAG });
      const obj = pfvo({ releaseImage: BY_TAG, pushBuiltImage: true });
      const out = sut.handleValidation(request("UPDATE", { object: obj, oldObject: old }), TARGET, preflightValidator());
      assert.deepEqual(out.response, { uid: UID, allowed: true });
    });

    for (const missing of ["object", "oldObject"] as const) {
      it(`answers 400 with the uid when ${missing} is missing`, () => {
        const { v, calls } = recordingValidator();
        const fields = { object: pfvo({ releaseImage: BY_DIGEST }), oldObject: pfvo({ releaseImage: BY_DIGEST }), [missing]: undefined };
        const out = sut.handleValidation(request("UPDATE", fields), TARGET, v);
        assert.equal(out.decision, "errored");
        assert.equal(out.response.uid, UID);
        assert.equal(out.response.allowed, false);
        assert.equal(out.response.status?.code, 400);
        assert.deepEqual(calls, []);
      });
    }
  });

  describe("given a DELETE", () => {
    it("validates the oldObject", () => {
      const { v, calls } = recordingValidator();
      const old = pfvo({ releaseImage: BY_DIGEST });
      const out = sut.handleValidation(request("DELETE", { object: null, oldObject: old }), TARGET, v);
      assert.deepEqual(calls, [["delete", old]]);
      assert.deepEqual(out.response, { uid: UID, allowed: true });
    });

    it("answers 400 with the uid when oldObject is missing", () => {
      const { v, calls } = recordingValidator();
      const out = sut.handleValidation(request("DELETE", { object: pfvo({ releaseImage: BY_DIGEST }) }), TARGET, v);
      assert.equal(out.response.status?.code, 400);
      assert.equal(out.response.uid, UID);
      assert.deepEqual(calls, []);
    });

    it("allows an invalid object to be deleted", () => {
      const out = sut.handleValidation(request("DELETE", { oldObject: pfvo({ relaseImage: "x" }, { name: "Bad_Name" }) }), TARGET, preflightValidator());
      assert.deepEqual(out.response, { uid: UID, allowed: true });
    });
  });

  describe("given a CREATE without an object", () => {
    for (const object of [undefined, null, "x"]) {
      it(`answers 400 with the uid for ${JSON.stringify(object) ?? "undefined"}`, () => {
        const { v, calls } = recordingValidator();
        const out = sut.handleValidation(request("CREATE", { object }), TARGET, v);
        assert.equal(out.decision, "errored");
        assert.equal(out.response.uid, UID);
        assert.equal(out.response.status?.code, 400);
        assert.deepEqual(calls, []);
      });
    }
  });

  describe("given a request for a kind this webhook does not serve", () => {
    for (const [what, kind] of OTHER_KINDS) {
      it(`skips ${what} and allows it`, () => {
        const { v, calls } = recordingValidator({ errors: [required(FieldPath.root("spec"))], warnings: [] });
        const out = sut.handleValidation(request("CREATE", { kind, object: pfvo(null) }), TARGET, v);
        assert.equal(out.decision, "skipped");
        assert.deepEqual(out.response, { uid: UID, allowed: true });
        assert.deepEqual(calls, []);
      });
    }
  });

  describe("given the status subresource", () => {
    it("skips it and allows it", () => {
      const { v, calls } = recordingValidator({ errors: [required(FieldPath.root("spec"))], warnings: [] });
      const out = sut.handleValidation(request("UPDATE", { subResource: "status", object: pfvo(null), oldObject: pfvo(null) }), TARGET, v);
      assert.equal(out.decision, "skipped");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
      assert.deepEqual(calls, []);
    });
  });

  describe("given a CONNECT", () => {
    it("skips it", () => {
      const { v, calls } = recordingValidator();
      const out = sut.handleValidation(request("CONNECT"), TARGET, v);
      assert.equal(out.decision, "skipped");
      assert.deepEqual(out.response, { uid: UID, allowed: true });
      assert.deepEqual(calls, []);
    });
  });

  describe("given a validator that throws", () => {
    for (const op of ["CREATE", "UPDATE", "DELETE"] as const) {
      it(`answers 500 with the uid on ${op} and does not throw`, () => {
        const { v } = recordingValidator(undefined, new Error("validator bug"));
        const o = pfvo({ releaseImage: BY_DIGEST });
        let out: sut.Outcome | undefined;
        assert.doesNotThrow(() => {
          out = sut.handleValidation(request(op, { object: o, oldObject: o }), TARGET, v);
        });
        assert.equal(out!.decision, "errored");
        assert.equal(out!.response.uid, UID);
        assert.equal(out!.response.allowed, false);
        assert.equal(out!.response.status?.code, 500);
      });
    }

    it("allows (no 500) when only the cluster lookup behind a warning throws: a warning source never denies (ADR 3)", () => {
      const v = preflightValidator({
        list: () => {
          throw new Error("cache exploded");
        },
      });
      const out = sut.handleValidation(request("CREATE", { object: pfvo({ releaseImage: BY_DIGEST }) }), TARGET, v);
      assert.equal(out.decision, "allowed");
      assert.equal(out.response.allowed, true);
      assert.equal(out.response.uid, UID);
    });

    it("answers 500 for a thrown non-Error", () => {
      const { v } = recordingValidator(undefined, "plain string");
      const out = sut.handleValidation(request("CREATE", { object: pfvo({}) }), TARGET, v);
      assert.equal(out.response.status?.code, 500);
      assert.equal(out.response.uid, UID);
    });
  });

  describe("given a dryRun request", () => {
    it("answers exactly as without dryRun", () => {
      const v = preflightValidator({ list: () => [pfvo({ releaseImage: BY_TAG }, { name: "other" })] });
      const old = pfvo({ releaseImage: BY_DIGEST });
      const cases: [Operation, Partial<AdmissionRequest>][] = [
        ["CREATE", { object: pfvo({ releaseImage: BY_TAG }) }],
        ["CREATE", { object: pfvo({ releaseImage: "" }, { name: "Bad" }) }],
        ["UPDATE", { object: pfvo({ releaseImage: BY_TAG }), oldObject: old }],
        ["UPDATE", { object: pfvo({ releaseImage: BY_DIGEST, pushBuiltImage: true }), oldObject: old }],
        ["DELETE", { oldObject: old }],
      ];
      for (const [op, fields] of cases) {
        const wet = sut.handleValidation(request(op, fields), TARGET, v);
        const dry = sut.handleValidation(request(op, { ...fields, dryRun: true }), TARGET, v);
        assert.deepEqual(dry, wet, `${op} ${JSON.stringify(fields)}`);
      }
    });
  });
});
