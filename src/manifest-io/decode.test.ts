import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./decode.js";

const obj = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const sources = (r: sut.DecodedObject[]) => r.map((o) => o.source);
const failures = (r: sut.DecodedObject[]) => r.filter((o) => !o.ok).map((o) => (o.ok ? "" : o.message));

describe("decodeObjects()", () => {
  describe("given YAML documents", () => {
    it("answers each object in order, numbering documents without the empty and comment-only ones", () => {
      const r = sut.decodeObjects(`---\n${obj("a")}---\n# only a comment\n---\n${obj("b")}--- # trailing comment\n`, "f.yaml");
      assert.deepEqual(r.map((o) => o.ok && (o.value["metadata"] as { name: string }).name), ["a", "b"]);
      assert.deepEqual(sources(r), ["f.yaml (document 1)", "f.yaml (document 2)"]);
    });

    it("refuses a --- line followed by anything but a comment, as kubectl does, and reads no further", () => {
      const r = sut.decodeObjects(`${obj("a")}--- x: 1\n${obj("b")}`, "f.yaml");
      assert.equal(r.length, 1);
      assert.match(failures(r)[0]!, /invalid document separator "--- x: 1"/);
    });
  });

  describe("given JSON objects one after another", () => {
    it("answers each, whatever the whitespace between them, braces inside strings included", () => {
      const r = sut.decodeObjects('{"apiVersion":"v1","kind":"A","x":"}{\\""} {"apiVersion":"v1","kind":"B"}\n', "f.json");
      assert.deepEqual(r.map((o) => o.ok && o.value["kind"]), ["A", "B"]);
      assert.deepEqual(sources(r), ["f.json (object 1)", "f.json (object 2)"]);
    });

    it("reports an object that does not end, and text between objects", () => {
      assert.match(failures(sut.decodeObjects('{"apiVersion":"v1"', "f"))[0]!, /does not end/);
      assert.match(failures(sut.decodeObjects('{"apiVersion":"v1","kind":"A"} junk', "f"))[0]!, /unexpected "junk" at offset 31/);
    });
  });

  describe("given a List, as kubectl get -o yaml prints", () => {
    it("answers its items, nested Lists flattened, each named by its index", () => {
      const list = { apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "A" }, { apiVersion: "v1", kind: "List", items: [{ apiVersion: "v1", kind: "B" }] }] };
      const r = sut.decodeObjects(JSON.stringify(list), "l.json");
      assert.deepEqual(r.map((o) => o.ok && o.value["kind"]), ["A", "B"]);
      assert.deepEqual(sources(r), ["l.json (object 1) items[0]", "l.json (object 1) items[1] items[0]"]);
    });

    it("refuses items that are not a list", () => {
      assert.match(failures(sut.decodeObjects("apiVersion: v1\nkind: List\nitems: {}\n", "f"))[0]!, /items must be a list/);
    });
  });

  describe("given something kubectl cannot send", () => {
    it("refuses an object without apiVersion or kind", () => {
      assert.deepEqual(failures(sut.decodeObjects("metadata: {name: x}\n", "f")), ["not a Kubernetes object: apiVersion not set, kind not set (kubectl refuses it too)"]);
      assert.deepEqual(failures(sut.decodeObjects("apiVersion: v1\nkind: ''\n", "f")), ["not a Kubernetes object: kind not set (kubectl refuses it too)"]);
    });

    it("refuses a document that is not a mapping", () => {
      assert.match(failures(sut.decodeObjects("- a\n- b\n", "f"))[0]!, /not a Kubernetes object/);
    });

    it("refuses an empty or comment-only input, naming the source", () => {
      for (const text of ["", "\n\n", "# nothing\n---\n# here\n"]) {
        assert.deepEqual(sut.decodeObjects(text, "f.yaml"), [{ ok: false, source: "f.yaml", message: "no objects: the input is empty or holds only comments" }]);
      }
    });

    it("refuses .inf and .nan, which JSON cannot hold", () => {
      assert.match(failures(sut.decodeObjects(`${obj("a")}data:\n  x: .inf\n`, "f"))[0]!, /^data\.x: \.inf and \.nan have no JSON form/);
    });
  });

  describe("given sizes past the limits", () => {
    it("refuses an input over MAX_INPUT_BYTES unread", () => {
      const r = sut.decodeObjects(Buffer.alloc(sut.MAX_INPUT_BYTES + 1, 0x20), "big.yaml");
      assert.deepEqual(r, [{ ok: false, source: "big.yaml", message: "larger than 64 MiB: refused unread" }]);
    });

    it("refuses one object over MAX_OBJECT_BYTES and still answers the others", () => {
      const big = `${obj("big")}data:\n  x: "${"x".repeat(sut.MAX_OBJECT_BYTES)}"\n`;
      const r = sut.decodeObjects([obj("a"), big, obj("b")].join("---\n"), "f.yaml");
      assert.deepEqual(r.map((o) => o.ok), [true, false, true]);
      assert.match(failures(r)[0]!, /larger than 3 MiB, the most the API server accepts for one object/);
      const json = sut.decodeObjects(JSON.stringify({ apiVersion: "v1", kind: "A", x: "x".repeat(sut.MAX_OBJECT_BYTES) }), "f.json");
      assert.match(failures(json)[0]!, /larger than 3 MiB/);
    });
  });

  // The API server reads JSON nested up to 10000 deep; encoding such an object back to YAML (validate
  // prints what it read) overflowed the stack past ~3000 levels, outside any document's error: "error:
  // Maximum call stack size exceeded", exit 2, no file named. YAML that deep overflowed the parser.
  describe("given an object nested past MAX_DEPTH", () => {
    const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    it("refuses that document, naming it, and still answers the others", () => {
      const json = sut.decodeObjects(`{"apiVersion":"v1","kind":"A","metadata":{"name":"a"}} {"apiVersion":"v1","kind":"A","data":${deep(100_000)}}`, "f.json");
      assert.deepEqual(json.map((o) => [o.ok, o.source]), [[true, "f.json (object 1)"], [false, "f.json (object 2)"]]);
      assert.match(failures(json)[0]!, new RegExp(`^nested more than ${sut.MAX_DEPTH} levels deep`));
      const yaml = sut.decodeObjects(`${obj("a")}---
${obj("b")}data: ${deep(100_000)}
`, "f.yaml");
      assert.deepEqual(yaml.map((o) => [o.ok, o.source]), [[true, "f.yaml (document 1)"], [false, "f.yaml (document 2)"]]);
      assert.match(failures(yaml)[0]!, new RegExp(`^nested more than ${sut.MAX_DEPTH} levels deep`));
    });

    it("reads one nested exactly MAX_DEPTH deep", () => {
      const r = sut.decodeObjects(`{"apiVersion":"v1","kind":"A","data":${deep(sut.MAX_DEPTH - 1)}}`, "f.json");
      assert.deepEqual(failures(r), []);
    });
  });

  describe("given unreadable input", () => {
    it("answers binary input in one message", () => {
      assert.deepEqual(failures(sut.decodeObjects(Buffer.from([0x61, 0x3a, 0x00, 0xff]), "b")), ["not YAML or JSON: a NUL byte at offset 2 (binary input?)"]);
      assert.deepEqual(failures(sut.decodeObjects(Buffer.from([0x61, 0x3a, 0xc3, 0x28]), "b")), ["not YAML or JSON: the input is not UTF-8 text (binary input?)"]);
    });

    it("keeps its messages short however much garbage there is: a few errors per document, a few documents per source", () => {
      let seed = 7;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const chars = " :{}[]#&*!|>'\"%@`,?\nabcxyz0123\t";
      const doc = () => Array.from({ length: 50_000 }, () => chars[Math.floor(random() * chars.length)]).join("");
      const r = sut.decodeObjects(Array.from({ length: 40 }, doc).join("\n---\n"), "g.yaml");
      assert.ok(r.length <= 12, `${r.length} entries`);
      assert.match(failures(r).at(-1)!, /more than 10 documents could not be read; the rest of this input is not read/);
      const total = failures(r).join("\n").length;
      assert.ok(total < 16_000, `${total} characters of messages`);
    });
  });
});

describe("describeObject()", () => {
  it("names the kind and the name", () => {
    assert.equal(sut.describeObject({ kind: "Module", metadata: { name: "m" } }), 'Module "m"');
  });
});
