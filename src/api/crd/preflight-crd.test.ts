import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT, renderManifests } from "../../../scripts/generate-manifests.js";
import { PREFLIGHT_SPEC_FIELDS, type PreflightModuleStatus, type PreflightValidationOCPSpec } from "../preflight-validation-ocp.js";
import type { JSONSchemaProps, RequiredKeys } from "./types.js";
import * as sut from "./preflight-crd.js";
import { MAX_RELEASE_IMAGE_LENGTH, MAX_STATUS_MODULES, MAX_STATUS_REASON_LENGTH } from "../preflight-validation-ocp.js";

// Compile-time checks (`npm test` type-checks first; these lines do nothing at run time):
// PREFLIGHT_SPEC_FIELDS lists exactly the keys of the spec type, so the runtime checks below compare
// the schema with the type itself, and the types require what the schema requires.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
true satisfies Equal<(typeof PREFLIGHT_SPEC_FIELDS)[number], keyof PreflightValidationOCPSpec>;
true satisfies Equal<RequiredKeys<PreflightValidationOCPSpec>, "releaseImage">;
true satisfies Equal<RequiredKeys<PreflightModuleStatus>, "namespace" | "name" | "lastTransitionTime" | "verificationStage" | "verificationStatus">;

const version = sut.preflightCrd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const spec = root.properties!["spec"]!;
const modules = root.properties!["status"]!.properties!["modules"]!;
const moduleItem = modules.items!;

/** Calls visit on every schema node below `schema`, with its dotted path. */
function walk(schema: JSONSchemaProps, path: string, visit: (s: JSONSchemaProps, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
  if (schema.additionalProperties) walk(schema.additionalProperties, `${path}{}`, visit);
}

describe("manifests/ generated from src/api/crd", () => {
  for (const [path, expected] of Object.entries(renderManifests())) {
    it(`${path} is up to date`, async () => {
      const committed = await readFile(join(REPO_ROOT, path), "utf8").catch(() => "(missing)");
      assert.equal(committed, expected, `${path} is stale: run \`npm run manifests\` and commit the result`);
    });
  }

  it("reads back, with YAML 1.1 rules as kubectl uses, as the very same CRD object", async () => {
    const text = await readFile(join(REPO_ROOT, "manifests/crd/preflightvalidationocp.yaml"), "utf8");
    assert.deepEqual(parse(text, { version: "1.1" }), sut.preflightCrd);
  });
});

describe("preflightCrd", () => {
  describe("names", () => {
    it("are upstream KMM's, so that its objects and kubectl commands work unchanged", () => {
      assert.equal(sut.preflightCrd.metadata.name, "preflightvalidationsocp.kmm.sigs.x-k8s.io");
      assert.equal(sut.preflightCrd.spec.group, "kmm.sigs.x-k8s.io");
      assert.deepEqual(sut.preflightCrd.spec.names, {
        kind: "PreflightValidationOCP",
        listKind: "PreflightValidationOCPList",
        plural: "preflightvalidationsocp",
        singular: "preflightvalidationocp",
        shortNames: ["pfvo"],
        categories: ["kmm"],
      });
      assert.equal(sut.preflightCrd.spec.scope, "Cluster");
    });

    it("serves and stores exactly one version, v1beta2, with a status subresource", () => {
      assert.deepEqual(
        sut.preflightCrd.spec.versions.map((v) => [v.name, v.served, v.storage]),
        [["v1beta2", true, true]],
      );
      assert.deepEqual(version.subresources, { status: {} });
    });
  });

  describe("spec schema", () => {
    it("has exactly the fields of PreflightValidationOCPSpec", () => {
      assert.deepEqual(Object.keys(spec.properties!).sort(), [...PREFLIGHT_SPEC_FIELDS].sort());
    });

    it("requires spec and spec.releaseImage, a bounded non-empty string", () => {
      assert.deepEqual(root.required, ["spec"]);
      assert.deepEqual(spec.required, ["releaseImage"]);
      const releaseImage = spec.properties!["releaseImage"]!;
      assert.equal(releaseImage.type, "string");
      assert.equal(releaseImage.minLength, 1);
      assert.equal(releaseImage.maxLength, MAX_RELEASE_IMAGE_LENGTH);
    });

    it("defaults both booleans to false", () => {
      for (const name of ["pushBuiltImage", "useRTKernel"]) {
        assert.deepEqual(
          [spec.properties![name]!.type, spec.properties![name]!.default],
          ["boolean", false],
          `spec.${name}`,
        );
      }
    });

    it("makes releaseImage and useRTKernel immutable with CEL transition rules, and nothing else", () => {
      const immutable = Object.entries(spec.properties!)
        .filter(([, s]) => s["x-kubernetes-validations"]?.some((r) => r.rule === "self == oldSelf"))
        .map(([name]) => name);
      assert.deepEqual(immutable.sort(), ["releaseImage", "useRTKernel"]);
      for (const name of immutable) {
        const [rule] = spec.properties![name]!["x-kubernetes-validations"]!;
        assert.match(rule!.message ?? "", /create a new PreflightValidationOCP/, `spec.${name}: message`);
      }
    });
  });

  describe("status schema", () => {
    it("has exactly the fields of PreflightModuleStatus in modules[]", () => {
      assert.deepEqual(
        Object.keys(moduleItem.properties!).sort(),
        ["consecutiveErrors", "lastCheckTime", "lastTransitionTime", "name", "namespace", "specHash", "statusReason", "verificationStage", "verificationStatus"],
      );
    });

    it("has metav1.Condition conditions, a list-map keyed by type whose key is required", () => {
      const conditions = root.properties!["status"]!.properties!["conditions"]!;
      assert.equal(conditions["x-kubernetes-list-type"], "map");
      assert.deepEqual(conditions["x-kubernetes-list-map-keys"], ["type"]);
      assert.deepEqual(conditions.items!.required, ["type", "status", "lastTransitionTime", "reason", "message"]);
      assert.deepEqual(conditions.items!.properties!["status"]!.enum, ["True", "False", "Unknown"]);
    });

    it("has the seed's stages and statuses, the statuses as strings (not booleans)", () => {
      assert.deepEqual(moduleItem.properties!["verificationStage"]!.enum, ["image", "build", "sign"]);
      assert.deepEqual(moduleItem.properties!["verificationStatus"]!.enum, ["true", "false", "error", "unknown"]);
    });

    it("is a list-map keyed by namespace and name, whose keys are required", () => {
      assert.equal(modules["x-kubernetes-list-type"], "map");
      assert.deepEqual(modules["x-kubernetes-list-map-keys"], ["namespace", "name"]);
      for (const key of modules["x-kubernetes-list-map-keys"]!) {
        assert.ok(moduleItem.required!.includes(key), `list-map key ${key} must be required`);
      }
    });

    it("bounds the list and its strings", () => {
      assert.equal(modules.maxItems, MAX_STATUS_MODULES);
      assert.equal(moduleItem.properties!["statusReason"]!.maxLength, MAX_STATUS_REASON_LENGTH);
      assert.equal(moduleItem.properties!["lastTransitionTime"]!.format, "date-time");
    });
  });

  describe("schema as a whole", () => {
    it("is structural: every node has a type", () => {
      walk(root, "", (s, path) => assert.ok(s.type, `${path || "<root>"}: missing type`));
    });

    it("describes every field for `kubectl explain`", () => {
      walk(root, "", (s, path) => {
        if (path === ".metadata" || path.endsWith("[]")) return;
        assert.ok(s.description && s.description.length > 0, `${path || "<root>"}: missing description`);
      });
    });
  });

  describe("printer columns", () => {
    // Errors shows by default: when the release cannot be read every Module is in error, and without the
    // column that reads as "Verified False, Failed 0, Pending 0", which says nothing of what went wrong.
    it("show kernel, verified, failed, errors, pending and age; release, RT and push only wide", () => {
      assert.deepEqual(
        version.additionalPrinterColumns!.map((c) => [c.name, c.priority ?? 0]),
        [["Kernel", 0], ["Verified", 0], ["Failed", 0], ["Errors", 0], ["Pending", 0], ["Release", 1], ["RT", 1], ["Push", 1], ["Age", 0]],
      );
    });

    it("point only at fields the schema has, of the column's type", () => {
      const types: Record<string, string> = { string: "string", integer: "integer", boolean: "boolean", date: "string" };
      for (const { name, jsonPath, type } of version.additionalPrinterColumns!) {
        if (jsonPath.startsWith(".metadata.")) continue;
        // `.a.b[?(@.type=="X")].c` walks a, b's items, c.
        let node: JSONSchemaProps | undefined = root;
        for (const step of jsonPath.slice(1).split(/\.(?![^[]*\])/)) {
          const [, field, filter] = /^([^[]+)(\[.*\])?$/.exec(step)!;
          node = node?.properties?.[field!];
          if (filter) node = node?.items;
        }
        assert.equal(node?.type, types[type], `${name}: ${jsonPath} is not a ${type} in the schema`);
      }
    });
  });
});
