import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./registry-host.js";

describe("registryApiHost()", () => {
  describe("given Docker Hub under any of its names", () => {
    it("gives registry-1.docker.io", () => {
      for (const r of ["docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"]) assert.equal(sut.registryApiHost(r), "registry-1.docker.io", r);
    });
  });
  describe("given any other registry", () => {
    it("gives it unchanged", () => {
      for (const r of ["quay.io", "127.0.0.1:5000", "[::1]:5000", "localhost"]) assert.equal(sut.registryApiHost(r), r);
    });
  });
});
