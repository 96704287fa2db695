import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as sut from "./read-input.js";

describe("readInputBounded()", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "read-input-"));
    await writeFile(path.join(dir, "a.yaml"), "kind: X\n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe("given a file", () => {
    it("reads it", async () => {
      assert.equal((await sut.readInputBounded(path.join(dir, "a.yaml"), 100)).toString(), "kind: X\n");
    });
  });

  describe("given a directory (as kubectl's -f takes)", () => {
    it("refuses it naming the directory and how to name its files", async () => {
      await assert.rejects(sut.readInputBounded(`${dir}/`, 100), { message: `cannot read ${dir}/: it is a directory (EISDIR); name each file in it, one flag per file` });
    });
  });

  describe("given a path that does not exist", () => {
    it("refuses it naming the path", async () => {
      await assert.rejects(sut.readInputBounded(path.join(dir, "nope.yaml"), 100), { message: `cannot read ${path.join(dir, "nope.yaml")}: no such file (ENOENT)` });
    });
  });
});
