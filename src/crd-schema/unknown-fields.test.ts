import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { preflightCrd } from "../api/crd/preflight-crd.js";
import * as sut from "./unknown-fields.js";

const schema = preflightCrd.spec.versions[0]!.schema.openAPIV3Schema;
const pfvo = (extra: Record<string, unknown>) => ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name: "x" }, spec: { releaseImage: "r" }, ...extra });

describe("unknownFields()", () => {
  describe("given an object with only declared fields", () => {
    it("finds none, in metadata (labels, annotations, ownerReferences, managedFields) nor in status", () => {
      const o = pfvo({
        metadata: {
          name: "x",
          labels: { a: "b" },
          annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
          ownerReferences: [{ apiVersion: "v1", kind: "K", name: "n", uid: "u", controller: true }],
          managedFields: [{ manager: "kubectl", operation: "Apply", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:anything": {} } } }],
          finalizers: ["f"],
        },
        status: { modules: [{ namespace: "n", name: "m", verificationStatus: "true", verificationStage: "image", lastTransitionTime: "t" }] },
      });
      assert.deepEqual(sut.unknownFields(o, schema), []);
    });
  });

  describe("given unknown fields at the root, in metadata, in spec and in a status list item", () => {
    it("names each with its full path, and suggests the declared field a typo is close to", () => {
      const o = { ...pfvo({ specc: {}, metadata: { namee: "x", ownerReferences: [{ uidd: "u" }] } }), spec: { relaseImage: "r" }, status: { modules: [{ nmae: "m" }] } };
      assert.deepEqual(sut.unknownFields(o, schema), [
        { path: "metadata.namee", suggestion: "name" },
        { path: "metadata.ownerReferences[0].uidd", suggestion: "uid" },
        { path: "spec.relaseImage", suggestion: "releaseImage" },
        { path: "specc", suggestion: "spec" },
        { path: "status.modules[0].nmae", suggestion: "name" },
      ]);
    });
  });
});

describe("formatUnknownField()", () => {
  it("says it as the API server does", () => {
    assert.equal(sut.formatUnknownField({ path: "zzz" }), 'unknown field "zzz"');
  });
});
