// kmm-preflight reads and writes YAML as kubectl does: the real kubectl decodes the same input to the
// same JSON, and decodes what kmm-preflight writes back to exactly the value written. kubectl needs
// discovery to map a kind to a resource; the test API server answers it, and nothing else is asked
// (`create --dry-run=client --validate=false` sends no object).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { decodeObjects } from "../src/manifest-io/decode.js";
import { encodeYaml } from "../src/manifest-io/encode.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-api-server.js";

const TRICKY_STRINGS = [
  "no", "yes", "on", "off", "y", "n", "Y", "N", "true", "False", "NULL", "null", "~", "", "1_000", "0o10", "010", "0x1F", "0b11",
  "-0b11", "1e3", ".5", ".5e3", "08", "+1", "-1", "1:20", "2001-12-14", "2001-12-14T21:59:43.10Z", "1.0", "0.", ".inf", "-.inf",
  ".nan", "<<", "- x", "# x", "a: b", "x #y", "multi\nline", "trailing newline\n", "  leading", "trailing ", "@at", "`tick",
  "'quote", '"double', "%pct", "!bang", "&amp", "*star", "|pipe", ">gt", "{brace", "[bracket", "?q", "tab\there", "unicode é ✓",
  "x".repeat(300), "quay.io/openshift-release-dev/ocp-release:4.16.3-x86_64", "4.16",
];

/** Plain (unquoted) scalars whose meaning depends on the YAML version and resolver. */
const PLAIN_SCALARS = [
  "no", "yes", "on", "off", "y", "n", "Y", "N", "On", "OFF", "true", "False", "NULL", "~", "1_000", "0o10", "010", "0x1F", "0B11",
  "-0b11", "0x_1F", "1_0.5", "1e3", ".5", ".5e3", "08", "0777", "+1", "-1", "1:20", "2001-12-14", "2001-12-14T21:59:43.10Z", "1.0",
  "0.", "1e", "12abc", "0x", "nan", "Infinity", "yes please", "123456789",
];

const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";
const pfvo = (name: string, rest: string) => `apiVersion: kmm.sigs.x-k8s.io/v1beta2\nkind: PreflightValidationOCP\nmetadata:\n  name: ${name}\n${rest}`;

describe("YAML as kubectl reads it", () => {
  let api: KubeApiServer;
  before(async () => {
    api = await startKubeApiServer();
  });
  after(async () => {
    await api?.close();
  });

  /** What `kubectl create --dry-run=client -o json` makes of a stream: the objects it would send. */
  function kubectlJson(input: string): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const args = ["create", "--dry-run=client", "--validate=false", "-o", "json", "-f", "-", "--server", api.url, "--kubeconfig", "/dev/null"];
      const child = execFile("kubectl", args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`kubectl: ${stderr || err.message}`));
        // One JSON object per input object, pretty-printed one after another.
        const out: unknown[] = [];
        const parsed = decodeObjects(Buffer.from(stdout), "kubectl");
        for (const o of parsed) out.push(o.ok ? o.value : assert.fail(o.message));
        resolve(out);
      });
      child.stdin!.end(input);
    });
  }

  it("decodes plain scalars, keys included, to the JSON kubectl decodes them to", async () => {
    const values = PLAIN_SCALARS.map((s, i) => `    v${i}: ${s}`).join("\n");
    // One key per map: several of them are the same key to kubectl (yes, on and y are all true).
    const keys = PLAIN_SCALARS.filter((s) => !s.includes(" ") && s !== "~" && s !== "NULL").map((s, i) => `  - ${s}: k${i}`).join("\n");
    const input = [pfvo("values", `spec:\n  values:\n${values}\n`), pfvo("keys", `spec:\n  keys:\n${keys}\n`)].join("---\n");
    const ours = decodeObjects(Buffer.from(input), "in.yaml").map((o) => (o.ok ? o.value : assert.fail(o.message)));
    assert.deepEqual(ours, await kubectlJson(input));
  });

  it("refuses a null mapping key, as kubectl does", async () => {
    const input = pfvo("k", "spec:\n  ~: x\n");
    const [o] = decodeObjects(Buffer.from(input), "in.yaml");
    assert.match(o?.ok === false ? o.message : "", /null mapping key/);
    await assert.rejects(kubectlJson(input), /unsupported map key/);
  });

  it("reads booleans as kubectl does (pushBuiltImage: yes / off)", async () => {
    const input = pfvo("b", "spec:\n  pushBuiltImage: yes\n  useRTKernel: off\n");
    const [o] = decodeObjects(Buffer.from(input), "in.yaml");
    assert.deepEqual(o?.ok && o.value["spec"], { pushBuiltImage: true, useRTKernel: false });
    assert.deepEqual(o?.ok && [o.value], await kubectlJson(input));
  });

  it("decodes JSON streams of concatenated objects and Lists as kubectl does", async () => {
    // Cluster-scoped, so kubectl adds no namespace of its own.
    const object = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name }, ...extra });
    const json = `${JSON.stringify(object("a", { spec: { k: "}{" } }))}\n${JSON.stringify(object("b"))}${JSON.stringify(object("c"))}`;
    assert.deepEqual(decodeObjects(Buffer.from(json), "in.json").map((o) => o.ok && o.value), await kubectlJson(json));
    const list = `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify(object("d"))}\n- ${JSON.stringify(object("e", { spec: { pushBuiltImage: "on" } }))}\n`;
    const ours = decodeObjects(Buffer.from(list), "list.yaml").map((o) => o.ok && o.value);
    assert.equal(ours.length, 2);
    assert.deepEqual(ours, await kubectlJson(list));
  });

  it("writes YAML that kubectl decodes to exactly the value written: strings stay strings, keys and label values included", async () => {
    const objects = [
      {
        apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
        kind: "PreflightValidationOCP",
        metadata: {
          name: "written",
          labels: { team: "no", flag: "on", answer: "y", count: "1_000" },
          annotations: Object.fromEntries(TRICKY_STRINGS.map((s, i) => [`a${i}`, s])),
        },
        spec: {
          strings: TRICKY_STRINGS,
          keys: Object.fromEntries(TRICKY_STRINGS.filter((s) => s.length < 100).map((s, i) => [s, i])),
          numbers: [0, -1, 1.5, -0.25, 1e21, 123456789, 2 ** 53 - 1],
          booleans: [true, false],
          nothing: null,
          nested: [[{ a: [] }, {}], "x"],
        },
      },
    ];
    const text = objects.map(encodeYaml).join("---\n");
    assert.deepEqual(await kubectlJson(text), objects);
  });

  it("kmm-preflight validate -f x.yaml | kubectl apply -f - sends the objects meant, defaulted", async () => {
    const input = [
      pfvo("labelled", `  labels: {team: "no", enabled: "yes", answer: "y", size: "1_000", flag: "on"}\nspec:\n  releaseImage: ${RELEASE}\n  pushBuiltImage: yes\n`),
      `apiVersion: v1\nkind: List\nitems:\n- ${JSON.stringify({ apiVersion: "kmm.sigs.x-k8s.io/v1beta2", kind: "PreflightValidationOCP", metadata: { name: "listed", annotations: { note: "off" } }, spec: { releaseImage: RELEASE } })}\n`,
    ].join("---\n");
    const validated = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", "validate", "-f", "-"], { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)));
      child.stdin!.end(input);
    });
    const meta = (name: string, extra: Record<string, unknown>) => ({ name, ...extra });
    assert.deepEqual(await kubectlJson(validated), [
      {
        apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
        kind: "PreflightValidationOCP",
        metadata: meta("labelled", { labels: { team: "no", enabled: "yes", answer: "y", size: "1_000", flag: "on" } }),
        spec: { releaseImage: RELEASE, pushBuiltImage: true, useRTKernel: false },
      },
      {
        apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
        kind: "PreflightValidationOCP",
        metadata: meta("listed", { annotations: { note: "off" } }),
        spec: { releaseImage: RELEASE, pushBuiltImage: false, useRTKernel: false },
      },
    ]);
  });
});
