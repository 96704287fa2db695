import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

// Dependencies point inward (docs: style guide, house rule 1): API types import nothing of ours, the
// pure middle does no I/O, and only the edges know HTTP frameworks and the Kubernetes client.

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") && !path.basename(p).startsWith("test-") ? [p] : [];
  });
}

/** Every module a file imports: packages by name, our files as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => {
    const spec = (m[1] ?? m[2])!;
    return spec.startsWith(".") ? path.join(path.dirname(file), spec).replace(/\.js$/, ".ts") : spec;
  });
}

const all = sources("src").map((file) => ({ file, imports: importsOf(file) }));
const within = (dir: string) => all.filter((f) => f.file.startsWith(`src/${dir}/`));
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|tls|child_process|dgram|dns)$/;

function assertNone(files: typeof all, forbidden: (imp: string) => boolean, why: string) {
  const hits = files.flatMap((f) => f.imports.filter(forbidden).map((imp) => `${f.file} imports ${imp}`));
  assert.deepEqual(hits, [], why);
}

describe("architecture", () => {
  it("finds the sources it checks", () => assert.ok(all.length > 50));

  it("src/api imports nothing but src/api", () => {
    assertNone(within("api"), (imp) => !imp.startsWith("src/api/"), "API types and CRDs stand alone");
  });

  it("src/kernel is pure: no I/O, no clients, no frameworks", () => {
    const allowed = (imp: string) =>
      imp.startsWith("src/kernel/") || imp.startsWith("src/api/") || imp.startsWith("src/util/") || imp === "re2js" ||
      ["src/admission/field-path.ts", "src/admission/field-error.ts", "src/admission/suggest.ts", "src/registry/image-reference.ts"].includes(imp);
    assertNone(within("kernel"), (imp) => !allowed(imp), "kernel semantics are pure functions");
  });

  it("admission decisions are pure: only http.ts touches HTTP, nothing touches the cluster or the disk", () => {
    const pure = within("admission").filter((f) => !f.file.endsWith("/http.ts"));
    assertNone(pure, (imp) => IO_MODULES.test(imp) || imp === "express" || imp.startsWith("@kubernetes/") || imp.startsWith("src/kube/") || imp.startsWith("src/server/"), "defaulting and validation are tested without HTTP");
  });

  it("only src/kube and src/server know the Kubernetes client", () => {
    assertNone(all.filter((f) => !/^src\/(kube|server)\//.test(f.file)), (imp) => imp.startsWith("@kubernetes/"), "cluster access stays at the edge");
  });

  it("only src/server knows express", () => {
    assertNone(all.filter((f) => !f.file.startsWith("src/server/")), (imp) => imp === "express", "the HTTP framework stays at the edge");
  });

  it("nothing imports the CLI or the server but the CLI", () => {
    assertNone(all.filter((f) => !f.file.startsWith("src/cli/")), (imp) => imp.startsWith("src/cli/"), "the CLI is a shell");
    assertNone(all.filter((f) => !/^src\/(cli|server)\//.test(f.file)), (imp) => imp.startsWith("src/server/"), "the server is a shell");
  });
});
