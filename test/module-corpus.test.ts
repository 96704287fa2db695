import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { validateModuleDocument } from "../src/admission/module-document.js";
import { moduleValidator } from "../src/admission/module-webhook.js";
import type { Module, PreflightValidationOCP } from "../src/api/index.js";

// Module manifests written the way people write them (test/fixtures/modules): multi-document files,
// both in-tree API fields at several levels, templated images, other kinds among the Modules. Each
// document says in comments what Module policy must answer: `# expect: <Type> <field>` per error,
// `# warning: <text>` per warning; a Module with neither is admitted without a word.

interface Expected {
  readonly name: string;
  readonly doc: Record<string, unknown>;
  readonly errors: string[][];
  readonly warnings: string[];
}

function corpus(file: string): Expected[] {
  const text = readFileSync(new URL(`fixtures/modules/${file}`, import.meta.url), "utf8");
  return text.split(/^---[ \t]*$/m).flatMap((chunk) => {
    const doc = parse(chunk) as Record<string, unknown> | null;
    if (doc?.["kind"] !== "Module") return [];
    const lines = (prefix: string) => [...chunk.matchAll(new RegExp(`^# ${prefix}: (.+)$`, "gm"))].map((m) => m[1]!.trim());
    return [{ name: String((doc["metadata"] as { name?: unknown }).name), doc, errors: lines("expect").map((l) => l.split(/\s+/)), warnings: lines("warning") }];
  });
}

for (const [file, admitted] of [["admitted.yaml", true], ["denied.yaml", false]] as const) {
  describe(`test/fixtures/modules/${file}`, () => {
    const docs = corpus(file);

    it("holds several Modules, each saying what it expects", () => {
      assert.ok(docs.length >= 6, `${docs.length} Modules`);
      for (const d of docs) assert.equal(d.errors.length === 0, admitted, `${d.name}: ${admitted ? "no" : "some"} # expect: lines`);
    });

    for (const d of docs) {
      it(`${d.name}: ${admitted ? "admitted" : d.errors.map((e) => e.join(" ")).join(", ")}`, () => {
        const v = validateModuleDocument(d.doc);
        const sorted = (l: string[][]) => [...l].sort((a, b) => a.join(" ").localeCompare(b.join(" ")));
        assert.deepEqual(sorted(v.errors.map((e) => [e.type, e.field])), sorted(d.errors));
        assert.equal(v.warnings.length, d.warnings.length, v.warnings.join("\n"));
        d.warnings.forEach((w, i) => assert.ok(v.warnings[i]!.includes(w), `warning ${i}: ${v.warnings[i]} should say ${w}`));
      });
    }
  });
}

describe("the admitted corpus against a cluster's PreflightValidationOCPs", () => {
  const preflight = (name: string, kernel: string) =>
    ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64" }, status: { kernelVersion: kernel } }) as PreflightValidationOCP;
  const validator = moduleValidator({ list: () => [preflight("upgrade-4-16", "5.14.0-427.26.1.el9_4.x86_64"), preflight("upgrade-4-16-rt", "5.14.0-427.26.1.el9_4.x86_64+rt")] });

  it("warns exactly for the Modules with no mapping for an upgrade kernel", () => {
    // The API server fills in the namespace before admission; the files leave some out.
    const inNamespace = (d: Expected) => ({ ...d.doc, metadata: { namespace: "default", ...(d.doc["metadata"] as object) } }) as unknown as Module;
    const warned = corpus("admitted.yaml").flatMap((d) =>
      validator
        .validateCreate(inNamespace(d))
        .warnings.filter((w) => w.includes("will fail preflight"))
        .map((w) => `${d.name}: ${/PreflightValidationOCP ([\w-]+)/.exec(w)![1]}`),
    );
    // The catch-all and unanchored regexps match both kernels, gpu-driver's allows +rt; legacy-nic's ends before it.
    assert.deepEqual(warned, ["legacy-nic: upgrade-4-16-rt"]);
  });
});
