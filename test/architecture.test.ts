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
    return p.endsWith(".ts") && !p.endsWith(".test.ts") ? [p] : [];
  });
}

/** A specifier as written in `file`: a package by name, one of our files as a repository path. */
const resolve = (file: string, spec: string) => (spec.startsWith(".") ? path.join(path.dirname(file), spec).replace(/\.js$/, ".ts") : spec);

/** Every module a file imports: packages by name, our files as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm)].map((m) => resolve(file, (m[1] ?? m[2])!));
}

/**
 * What Node loads before a module's body runs: `import … from`, `export … from` and `import "…"`. Not
 * `import("…")` (loaded when called), nor `import type`/`export type` (erased); `import { type X }` stays
 * (verbatimModuleSyntax keeps it as `import {} from`), so it counts.
 */
function staticSpecifiers(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)(\s+type\b)?[\w$*{},\s]*?(?:\sfrom\s*)?["']([^"']+)["']/gm)].filter((m) => !m[1]).map((m) => m[2]!);
}

const staticImports = (file: string) => staticSpecifiers(readFileSync(file, "utf8")).map((spec) => resolve(file, spec));

/** Each of our files `entry` loads eagerly, with the chain of static imports that reaches it. */
function eagerClosure(entry: string, importsOfFile: (file: string) => string[]): Map<string, string[]> {
  const chains = new Map([[entry, [entry]]]);
  const queue = [entry];
  for (const file of queue) {
    for (const imp of importsOfFile(file)) {
      if (!imp.startsWith("src/") || chains.has(imp)) continue;
      chains.set(imp, [...chains.get(file)!, imp]);
      queue.push(imp);
    }
  }
  return chains;
}

/** The Kubernetes client and express, where `entry` loads them eagerly: one `a -> b -> package` chain each. */
function eagerEdgePackages(entry: string, importsOfFile: (file: string) => string[]): string[] {
  const edgeOnly = (imp: string) => imp.startsWith("@kubernetes/") || imp === "express";
  return [...eagerClosure(entry, importsOfFile)].flatMap(([file, chain]) => importsOfFile(file).filter(edgeOnly).map((pkg) => [...chain, pkg].join(" -> ")));
}

const all = sources("src").map((file) => ({ file, imports: importsOf(file) }));
const within = (dir: string) => all.filter((f) => f.file.startsWith(`src/${dir}/`));

function assertNone(files: typeof all, forbidden: (imp: string) => boolean, why: string) {
  const hits = files.flatMap((f) => f.imports.filter(forbidden).map((imp) => `${f.file} imports ${imp}`));
  assert.deepEqual(hits, [], why);
}

/** `files` import nothing of ours outside `dirs` (under src/) and no package but `packages`. */
function assertImportsOnly(files: typeof all, dirs: readonly string[], packages: readonly string[], why: string) {
  const allowed = (imp: string) => (imp.startsWith("src/") ? dirs.some((d) => imp.startsWith(`src/${d}/`)) : packages.includes(imp));
  assertNone(files, (imp) => !allowed(imp), why);
}

const HTTP_SHELL = "src/admission/http.ts";

/**
 * Import cycles in `graph` (file -> the files it imports, type-only imports included: a cycle of types
 * is still two modules that cannot be understood apart), each as its chain `a -> b -> … -> a`. A
 * depth-first walk: an import of a file still on the walk's stack closes a cycle. Finds at least one
 * cycle whenever there is any, in a stable order.
 */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const done = new Set<string>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string) => {
    stack.push(file);
    for (const imp of [...(graph.get(file) ?? [])].sort()) {
      const at = stack.indexOf(imp);
      if (at >= 0) cycles.push([...stack.slice(at), imp].join(" -> "));
      else if (!done.has(imp)) visit(imp);
    }
    stack.pop();
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) if (!done.has(file)) visit(file);
  return cycles;
}

describe("architecture", () => {
  it("finds the sources it checks", () => assert.ok(all.length > 50));

  it("src/ ships no test support: nothing but its *.test.ts files imports from test/", () => {
    assertNone(all, (imp) => imp.startsWith("test/"), "test helpers live in test/support, which the build leaves out");
  });

  it("src/api imports nothing but src/api", () => {
    assertNone(within("api"), (imp) => !imp.startsWith("src/api/"), "API types and CRDs stand alone");
  });

  it("src/validation is pure: it imports only src/api, src/util and itself", () => {
    assertImportsOnly(within("validation"), ["api", "util", "validation"], ["node:util"], "PFVO, Module and kernel validation share it");
  });

  it("src/kernel is pure: it imports only src/api, src/validation, src/util, itself and re2js", () => {
    assertImportsOnly(within("kernel"), ["api", "validation", "util", "kernel"], ["re2js"], "kernel semantics are pure functions");
  });

  it("admission decisions are pure: only http.ts touches HTTP (and logs), the rest imports only src/api, src/validation, src/kernel, src/util and itself", () => {
    const [shell, pure] = [within("admission").filter((f) => f.file === HTTP_SHELL), within("admission").filter((f) => f.file !== HTTP_SHELL)];
    assert.equal(shell.length, 1, `${HTTP_SHELL} exists`);
    // src/kernel: Module policy checks regexps, variables and mappings as KMM reads them; node:path for its posix path arithmetic only.
    assertImportsOnly(pure, ["api", "validation", "kernel", "util", "admission"], ["fast-json-patch", "node:util", "node:path"], "defaulting and validation are tested without HTTP");
    assertImportsOnly(shell, ["admission", "log"], ["node:http"], "the HTTP shell decodes, hands over and answers");
  });

  it("only src/kube, src/manager and src/server know the Kubernetes client", () => {
    assertNone(all.filter((f) => !/^src\/(kube|manager|server)\//.test(f.file)), (imp) => imp.startsWith("@kubernetes/"), "cluster access stays at the edge");
  });

  it("only src/server knows express", () => {
    assertNone(all.filter((f) => !f.file.startsWith("src/server/")), (imp) => imp === "express", "the HTTP framework stays at the edge");
  });

  it("src/jobs is pure: Job builders and the plan import only src/api, src/kernel, src/validation, src/util, itself and node:crypto", () => {
    assertNone(within("jobs"), (imp) => !/^src\/(api|kernel|validation|util|jobs)\//.test(imp) && imp !== "node:crypto", "the runner's decisions are tested without any API");
  });

  it("src/sign is pure: module signing imports only node:crypto and itself", () => {
    assertImportsOnly(within("sign"), ["sign"], ["node:crypto"], "signing is tested without files, registries or processes");
  });

  it("src/status is pure: it reads what the cluster said, and imports only src/api, src/util and itself", () => {
    assertNone(within("status"), (imp) => !/^src\/(api|util|status)\//.test(imp), "the CLI and the metric share one classifier of status.modules");
  });

  it("has no import cycle among src/ files", () => {
    const graph = new Map(all.map((f) => [f.file, f.imports.filter((imp) => imp.startsWith("src/"))]));
    assert.deepEqual(importCycles(graph), [], "a cycle means neither module can be read, tested or moved alone");
  });

  it("nothing imports the CLI or the server but the CLI", () => {
    assertNone(all.filter((f) => !f.file.startsWith("src/cli/")), (imp) => imp.startsWith("src/cli/"), "the CLI is a shell");
    assertNone(all.filter((f) => !/^src\/(cli|server)\//.test(f.file)), (imp) => imp.startsWith("src/server/"), "the server is a shell");
  });
});

describe("importCycles()", () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  describe("given an acyclic graph, shared imports included", () => {
    it("finds nothing", () => {
      assert.deepEqual(importCycles(graph({ a: ["b", "c"], b: ["d"], c: ["d"], d: [] })), []);
    });
  });

  describe("given a cycle reached from outside it", () => {
    it("gives its chain, from the first file of the cycle back to it", () => {
      assert.deepEqual(importCycles(graph({ "x.ts": ["b.ts"], "b.ts": ["m.ts"], "m.ts": ["g.ts"], "g.ts": ["b.ts"] })), ["b.ts -> m.ts -> g.ts -> b.ts"]);
    });
  });

  describe("given src/kernel's former cycle", () => {
    it("gives build-args -> module-target -> merge-build-sign -> build-args", () => {
      const k = (f: string) => `src/kernel/${f}.ts`;
      const found = importCycles(graph({ [k("build-args")]: [k("module-target")], [k("module-target")]: [k("merge-build-sign"), k("kernel-mapping")], [k("merge-build-sign")]: [k("build-args")], [k("kernel-mapping")]: [] }));
      assert.deepEqual(found, [`${k("build-args")} -> ${k("module-target")} -> ${k("merge-build-sign")} -> ${k("build-args")}`]);
    });
  });

  describe("given a file that imports itself, and two separate cycles", () => {
    it("gives each one", () => {
      assert.deepEqual(importCycles(graph({ a: ["a"], b: ["c"], c: ["b"], d: ["e"], e: ["d"] })), ["a -> a", "b -> c -> b", "d -> e -> d"]);
    });
  });

  describe("given an import of a file outside the graph", () => {
    it("treats it as importing nothing", () => {
      assert.deepEqual(importCycles(graph({ a: ["src/elsewhere.ts"] })), []);
    });
  });
});

describe("the offline CLI (validate, check, certs, inject-ca, --help)", () => {
  const CLI = "src/cli/main.ts";

  it("does not load the Kubernetes client or express: src/cli/main.ts reaches neither through static imports", () => {
    assert.deepEqual(eagerEdgePackages(CLI, staticImports), [], "serve and status load them with import() when they run");
  });

  it("follows static imports through other layers, and not import() or import type", () => {
    const eager = eagerClosure(CLI, staticImports);
    for (const f of ["src/server/config.ts", "src/kube/lease-step.ts", "src/status/status-report.ts"]) assert.ok(eager.has(f), `${f} is loaded eagerly`);
    for (const f of ["src/server/serve.ts", "src/kube/preflight-read.ts"]) assert.ok(!eager.has(f), `${f} is loaded on demand`);
    assert.deepEqual(staticSpecifiers(["import { a } from \"./a.js\";", "import type { B } from \"./b.js\";", "import { type C } from \"./c.js\";",
      "export * from \"./d.js\";", "export type { E } from \"./e.js\";", "import \"./f.js\";", "const g = await import(\"./g.js\");", "import {\n  h,\n  i,\n} from \"./h.js\";"].join("\n")),
      ["./a.js", "./c.js", "./d.js", "./f.js", "./h.js"]);
  });

  it("would fail if src/server/config.ts statically imported a file that imports the Kubernetes client", () => {
    const withEdge = (file: string) => [...staticImports(file), ...(file === "src/server/config.ts" ? ["src/kube/preflight-read.ts"] : [])];
    const found = eagerEdgePackages(CLI, withEdge);
    assert.ok(found.includes(`${CLI} -> src/server/config.ts -> src/kube/preflight-read.ts -> @kubernetes/client-node`), found.join("\n"));
  });
});
