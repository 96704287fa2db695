import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import * as sut from "./validate.js";

const DIGEST_IMAGE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const pfvo = (name: string, spec: string) => `apiVersion: kmm.sigs.x-k8s.io/v1beta2\nkind: PreflightValidationOCP\nmetadata:\n  name: ${name}\nspec:\n${spec}\n`;

describe("validateDocuments()", () => {
  describe("given a valid object", () => {
    it("admits it with its defaults filled in", () => {
      const [r] = sut.validateDocuments(pfvo("ok", `  releaseImage: ${DIGEST_IMAGE}`), "f.yaml");
      assert.equal(r?.kind, "admitted");
      assert.deepEqual((r as { object: { spec: unknown } }).object.spec, { releaseImage: DIGEST_IMAGE, pushBuiltImage: false, useRTKernel: false });
    });
  });

  describe("given several documents", () => {
    it("answers each one, in order, naming the document", () => {
      const text = [pfvo("a", `  releaseImage: ${DIGEST_IMAGE}`), pfvo("b", "  pushBuiltImage: true"), "", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"].join("---\n");
      const results = sut.validateDocuments(text, "f.yaml");
      assert.deepEqual(results.map((r) => r.kind), ["admitted", "denied", "passed-through"]);
      assert.equal(results[1]!.source, "f.yaml (document 2)");
    });
  });

  describe("given the wrong apiVersion", () => {
    it("denies it, naming the served version", () => {
      const [r] = sut.validateDocuments(pfvo("x", `  releaseImage: ${DIGEST_IMAGE}`).replace("v1beta2", "v1beta1"), "f.yaml");
      assert.equal(r?.kind, "denied");
      assert.match((r as { errors: readonly string[] }).errors[0]!, /^apiVersion: Unsupported value: "kmm\.sigs\.x-k8s\.io\/v1beta1"/);
    });
  });

  describe("given a document the YAML library refuses to expand (an alias bomb)", () => {
    it("reports that document as unparsable and still answers the others", () => {
      const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]", ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]`)].join("\n");
      const results = sut.validateDocuments([bomb, pfvo("ok", `  releaseImage: ${DIGEST_IMAGE}`)].join("\n---\n"), "f.yaml");
      assert.deepEqual(results.map((r) => r.kind), ["unreadable", "admitted"]);
    });
  });

  describe("given fields a PreflightValidationOCP does not have, anywhere", () => {
    it("denies it as the API server's strict field validation does, before any webhook check", () => {
      const [r] = sut.validateDocuments(pfvo("x", "  relaseImage: x\n  releaseImage: ''").replace("metadata:\n", "specc: {}\nmetadata:\n  namee: y\n"), "f.yaml");
      assert.equal(r?.kind, "denied");
      const denied = r as Extract<sut.DocumentResult, { kind: "denied" }>;
      assert.equal(denied.headline, 'PreflightValidationOCP in version "v1beta2" cannot be handled as a PreflightValidationOCP: strict decoding error:');
      assert.deepEqual(denied.errors, ['unknown field "specc" (did you mean "spec"?)', 'unknown field "metadata.namee" (did you mean "name"?)', 'unknown field "spec.relaseImage" (did you mean "releaseImage"?)']);
    });
  });

  describe("given booleans written as kubectl reads them", () => {
    it("admits yes and off as true and false", () => {
      const [r] = sut.validateDocuments(pfvo("b", `  releaseImage: ${DIGEST_IMAGE}\n  pushBuiltImage: yes\n  useRTKernel: off`), "f.yaml");
      assert.equal(r?.kind, "admitted");
      assert.deepEqual((r as { object: { spec: unknown } }).object.spec, { releaseImage: DIGEST_IMAGE, pushBuiltImage: true, useRTKernel: false });
    });
  });

  describe("given a List of objects", () => {
    it("validates every item", () => {
      const list = { apiVersion: "v1", kind: "List", items: [parse(pfvo("a", `  releaseImage: ${DIGEST_IMAGE}`)), parse(pfvo("b", "  releaseImage: ''"))] };
      const results = sut.validateDocuments(JSON.stringify(list), "l.json");
      assert.deepEqual(results.map((r) => [r.kind, r.source]), [["admitted", "l.json (object 1) items[0]"], ["denied", "l.json (object 1) items[1]"]]);
    });
  });

  describe("given broken YAML", () => {
    it("reports the document as unparsable", () => {
      const [r] = sut.validateDocuments("kind: [unclosed", "f.yaml");
      assert.equal(r?.kind, "unreadable");
    });
  });
});

describe("validateDocuments() on Modules", () => {
  const module = (container: string, meta = "  name: my-driver\n  namespace: drivers") =>
    `apiVersion: kmm.sigs.x-k8s.io/v1beta1\nkind: Module\nmetadata:\n${meta}\nspec:\n  selector: {}\n  moduleLoader:\n    container:\n${container}\n`;
  const OK = "      modprobe: {moduleName: my_driver}\n      kernelMappings:\n        - regexp: '^5'\n          containerImage: quay.io/org/my-driver:${KERNEL_FULL_VERSION}";

  it("admits a valid Module unchanged", () => {
    const [r] = sut.validateDocuments(module(OK), "m.yaml");
    assert.equal(r?.kind, "admitted");
    assert.deepEqual((r as { object: unknown }).object, parse(module(OK)));
  });

  it("denies a broken one with every error, in the API server's words", () => {
    const [r] = sut.validateDocuments(module(`${OK.replace("${KERNEL_FULL_VERSION}", "${KERNEL_VERSON}")}\n      inTreeModuleToRemove: a\n      inTreeModulesToRemove: [b]`), "m.yaml");
    assert.equal(r?.kind, "denied");
    const denied = r as { headline: string; errors: readonly string[] };
    assert.equal(denied.headline, 'Module.kmm.sigs.x-k8s.io "my-driver" is invalid:');
    assert.deepEqual(denied.errors.map((e) => e.split(":")[0]), ["spec.moduleLoader.container.kernelMappings[0].containerImage", "spec.moduleLoader.container.inTreeModuleToRemove"]);
  });

  it("names a field at the wrong level", () => {
    const [r] = sut.validateDocuments(module(OK).replace("    container:", "    inTreeModuleToRemove: a\n    container:"), "m.yaml");
    assert.match((r as { errors: readonly string[] }).errors[0]!, /^spec\.moduleLoader\.inTreeModuleToRemove: Forbidden: unknown field here; inTreeModuleToRemove belongs under spec\.moduleLoader\.container/);
  });
});

describe("renderResults()", () => {
  it("prints admitted objects as YAML on stdout, warnings and errors kubectl-style on stderr, and exits 1 on a denial", () => {
    const results = sut.validateDocuments([pfvo("a", "  releaseImage: quay.io/ocp/release:4.16"), pfvo("b", "  releaseImage: ''"), pfvo("c", "  relaseImage: x")].join("---\n"), "f.yaml");
    const r = sut.renderResults(results);
    assert.equal(r.exitCode, 1);
    assert.equal(parse(r.stdout).metadata.name, "a");
    assert.match(r.stderr, /^Warning: f\.yaml \(document 1\): spec\.releaseImage: tag "4\.16" can move/m);
    assert.match(r.stderr, /^error: f\.yaml \(document 2\): PreflightValidationOCP\.kmm\.sigs\.x-k8s\.io "b" is invalid:$/m);
    assert.match(r.stderr, /^\* spec\.releaseImage: Required value/m);
    assert.match(r.stderr, /^error: f\.yaml \(document 3\): PreflightValidationOCP in version "v1beta2" cannot be handled as a PreflightValidationOCP: strict decoding error:$/m);
    assert.match(r.stderr, /^\* unknown field "spec\.relaseImage" \(did you mean "releaseImage"\?\)$/m);
  });

  it("quotes strings kubectl would read as something else", () => {
    const r = sut.renderResults(sut.validateDocuments(pfvo("a", `  releaseImage: ${DIGEST_IMAGE}`).replace("  name: a\n", '  name: a\n  labels: {team: "no"}\n'), "f"));
    assert.match(r.stdout, /^    team: "no"$/m);
  });

  it("escapes control characters of unreadable input before they reach a terminal", () => {
    const r = sut.renderResults([{ kind: "unreadable", source: "f", message: "bad \u001b[2J input" }]);
    assert.doesNotMatch(r.stderr, /\u001b/);
  });

  it("exits 0 when everything is admitted", () => {
    assert.equal(sut.renderResults(sut.validateDocuments(pfvo("a", `  releaseImage: ${DIGEST_IMAGE}`), "f")).exitCode, 0);
  });
});
