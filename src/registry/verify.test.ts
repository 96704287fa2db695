import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as sut from "./verify.js";

const digest = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

class Mismatch extends Error {
  constructor(readonly m: sut.Mismatch) {
    super(m.problem);
  }
}

async function collect(source: AsyncIterable<Buffer>, want: sut.Expected): Promise<{ out: string; error?: sut.Mismatch }> {
  let out = "";
  try {
    for await (const c of sut.verifyChunks(source, want, (m) => new Mismatch(m))) out += c.toString();
    return { out };
  } catch (err) {
    if (err instanceof Mismatch) return { out, error: err.m };
    throw err;
  }
}

describe("verifyChunks()", () => {
  const content = Buffer.from("hello world");

  describe("given content matching digest and size", () => {
    it("passes every chunk through unchanged", async () => {
      assert.deepEqual(await collect(chunks("hello", " ", "world"), { digest: digest(content), size: content.length }), { out: "hello world" });
    });
  });

  describe("given more bytes than the size", () => {
    it("fails at the chunk that exceeds it, before handing it out, and reads no further", async () => {
      let pulled = 0;
      async function* counting() {
        for (const p of ["hello", " world", "!!!", "more"]) {
          pulled++;
          yield Buffer.from(p);
        }
      }
      const r = await collect(counting(), { digest: digest(content), size: 8 });
      assert.equal(r.out, "hello");
      assert.equal(r.error?.problem, "too-large");
      assert.equal(pulled, 2);
    });
  });

  describe("given fewer bytes than the size", () => {
    it("fails at the end", async () => {
      const r = await collect(chunks("hello"), { digest: digest(content), size: content.length });
      assert.deepEqual(r.error, { problem: "too-small", received: 5 });
    });
  });

  describe("given the right size but other content", () => {
    it("fails at the end with the actual digest", async () => {
      const r = await collect(chunks("hello_world"), { digest: digest(content), size: content.length });
      assert.equal(r.error?.problem, "digest");
      assert.equal(r.error?.actualDigest, digest(Buffer.from("hello_world")));
    });
  });

  describe("given a digest it cannot verify", () => {
    it("throws a TypeError before reading", async () => {
      await assert.rejects(collect(chunks("x"), { digest: "md5:abc", size: 1 }), TypeError);
    });
  });
});

describe("describeMismatch()", () => {
  describe("given each problem", () => {
    it("names the numbers involved", () => {
      const want = { digest: "sha256:x", size: 10 };
      assert.match(sut.describeMismatch({ problem: "too-large", received: 11 }, want), /10 bytes.*11/);
      assert.match(sut.describeMismatch({ problem: "too-small", received: 3 }, want), /3 bytes.*10/);
      assert.match(sut.describeMismatch({ problem: "digest", received: 10, actualDigest: "sha256:y" }, want), /sha256:y.*sha256:x/);
    });
  });
});
