import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { PreflightReader } from "../kube/preflight-read.js";
import * as report from "../status/status-report.js";
import * as args from "./status-args.js";
import * as render from "./status-render.js";
import * as sut from "./status.js";

const NOW = new Date("2025-06-01T12:00:00Z");
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString();
const RELEASE = "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";

function entry(namespace: string, name: string, verificationStatus: string, o: Record<string, unknown> = {}): Record<string, unknown> {
  return { namespace, name, verificationStatus, verificationStage: "image", lastTransitionTime: ago(60), statusReason: `${name} is ${verificationStatus}`, ...o };
}

function pfvo(name: string, modules?: unknown, releaseImage = RELEASE): Record<string, unknown> {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: { name },
    spec: { releaseImage },
    ...(modules !== undefined && { status: { modules } }),
  };
}

const MIXED = pfvo("upgrade", [
  entry("b", "ok", "true"),
  entry("a", "pending", "unknown"),
  entry("z", "broken", "error"),
  entry("a", "ok", "true"),
  entry("c", "missing-ko", "false"),
  entry("a", "broken", "error"),
]);

function reader(objects: Record<string, unknown>[], fail?: Error): PreflightReader {
  return {
    server: "https://api.example:6443",
    get: async (name) => {
      if (fail) throw fail;
      return objects.find((o) => (o["metadata"] as { name: string }).name === name);
    },
    list: async () => {
      if (fail) throw fail;
      return objects;
    },
    validationJobs: async () => ({ jobs: [], pods: [] }),
  };
}

const parsedOptions = (argv: string[]) => {
  const r = args.parseStatusArgs(argv);
  assert.ok(r.ok, r.ok ? "" : r.errors.join("\n"));
  return r.options;
};
const parseErrors = (argv: string[]) => {
  const r = args.parseStatusArgs(argv);
  assert.ok(!r.ok, "expected a usage error");
  return r.errors;
};

describe("parseStatusArgs()", () => {
  describe("given no arguments", () => {
    it("lists every object as a table", () => {
      assert.deepEqual(parsedOptions([]), { output: "table" });
    });
  });

  describe("given NAME, --module, --kubeconfig and -o json", () => {
    it("returns each of them", () => {
      assert.deepEqual(parsedOptions(["pfvo-4-16", "--module", "drivers/my-driver.v2", "--kubeconfig", "/tmp/kc", "-o", "json"]), {
        name: "pfvo-4-16",
        module: { namespace: "drivers", name: "my-driver.v2" },
        kubeconfig: "/tmp/kc",
        output: "json",
      });
    });
  });

  describe("given --module without a slash, or with two", () => {
    for (const value of ["my-driver", "a/b/c", "/x", "x/"]) {
      it(`rejects ${JSON.stringify(value)}, naming the flag and the expected shape`, () => {
        const errors = parseErrors(["--module", value]);
        assert.ok(errors.length >= 1);
        for (const e of errors) assert.match(e, /^--module /);
        assert.ok(errors.some((e) => /<namespace>\/<name>|namespace|name/.test(e)));
      });
    }
  });

  describe("given --module with a namespace that is not a DNS label", () => {
    for (const ns of ["Drivers", "dri.vers", "a".repeat(64)]) {
      it(`rejects namespace ${JSON.stringify(ns.slice(0, 20))}`, () => {
        const errors = parseErrors(["--module", `${ns}/my-driver`]);
        assert.equal(errors.length, 1);
        assert.match(errors[0]!, /^--module .*: namespace /);
      });
    }
  });

  describe("given --module with a name that is not a DNS subdomain", () => {
    it("rejects it, naming the name", () => {
      const errors = parseErrors(["--module", "drivers/My_Driver"]);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /^--module .*: name "My_Driver": /);
    });
  });

  describe("given an unknown output, two names and a bad NAME", () => {
    it("reports every problem", () => {
      assert.equal(parseErrors(["-o", "yaml"]).length, 1);
      assert.equal(parseErrors(["a", "b"]).length, 1);
      assert.equal(parseErrors(["Not_A_Name"]).length, 1);
    });
  });

  describe("given an unknown flag", () => {
    it("rejects it", () => {
      assert.equal(parseErrors(["--nope"]).length, 1);
    });
  });

  describe("given control characters in a rejected value", () => {
    it("echoes them escaped", () => {
      const [e] = parseErrors(["--module", "\x1b[31mred"]);
      assert.ok(!e!.includes("\x1b"));
      assert.match(e!, /\\x1b\[31mred/);
    });
  });
});

describe("formatAge()", () => {
  const cases: [number, string][] = [
    [0, "0s"], [59, "59s"], [119, "119s"], [120, "2m"], [450, "7m30s"], [600, "10m"], [179 * 60, "179m"],
    [3 * 3600 + 12 * 60, "3h12m"], [5 * 3600, "5h"], [8 * 3600 + 59 * 60, "8h"], [47 * 3600, "47h"], [48 * 3600, "2d"],
    [5 * 86400 + 4 * 3600, "5d4h"], [30 * 86400, "30d"], [2 * 365 * 86400 + 3 * 86400, "2y3d"], [9 * 365 * 86400, "9y"],
  ];
  for (const [seconds, want] of cases) {
    it(`given ${seconds}s ago returns ${want}`, () => assert.equal(render.formatAge(ago(seconds), NOW), want));
  }

  const ahead = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

  describe("given a time less than two seconds ahead (clock skew)", () => {
    it("returns 0s", () => assert.equal(render.formatAge(ahead(900), NOW), "0s"));
    it("truncates toward zero as kubectl does: 1.5s ahead returns 0s", () => assert.equal(render.formatAge(ahead(1500), NOW), "0s"));
  });

  describe("given a time two seconds or more in the future", () => {
    it("returns <invalid>", () => {
      assert.equal(render.formatAge(ahead(2000), NOW), "<invalid>");
      assert.equal(render.formatAge(ahead(60_000), NOW), "<invalid>");
    });
  });

  describe("given no time or an unparsable one", () => {
    it("returns <unknown>", () => {
      assert.equal(render.formatAge(null, NOW), "<unknown>");
      assert.equal(render.formatAge("yesterday-ish", NOW), "<unknown>");
    });
  });
});

describe("toModuleRow()", () => {
  describe("given a well-formed entry", () => {
    it("keeps every field", () => {
      const e = entry("drivers", "gpu", "false");
      assert.deepEqual(report.toModuleRow(e, "status.modules[0]"), {
        namespace: "drivers", name: "gpu", verificationStatus: "false", verificationStage: "image", lastTransitionTime: e["lastTransitionTime"], statusReason: "gpu is false",
      });
    });

    it("accepts an entry without statusReason", () => {
      const { statusReason: _, ...e } = entry("drivers", "gpu", "true");
      const row = report.toModuleRow(e, "status.modules[0]");
      assert.equal(row.verificationStatus, "true");
      assert.equal(row.statusReason, "");
    });
  });

  describe("given wrong types", () => {
    const malformed: [string, unknown][] = [
      ["a number", 42],
      ["null", null],
      ["an array", []],
      ["a status outside the enum", entry("d", "m", "yes")],
      ["a numeric status", entry("d", "m", "true", { verificationStatus: 1 })],
      ["an unknown stage", entry("d", "m", "true", { verificationStage: "compile" })],
      ["a numeric name", entry("d", "m", "true", { name: 7 })],
      ["no namespace", entry("d", "m", "true", { namespace: undefined })],
      ["an unparsable time", entry("d", "m", "true", { lastTransitionTime: "soon" })],
      ["no time", entry("d", "m", "true", { lastTransitionTime: undefined })],
      ["an object as reason", entry("d", "m", "true", { statusReason: { x: 1 } })],
    ];
    for (const [what, e] of malformed) {
      it(`renders ${what} as unknown with a reason saying the entry is malformed`, () => {
        const row = report.toModuleRow(e, "status.modules[3]");
        assert.equal(row.verificationStatus, "unknown");
        assert.match(row.statusReason, /^malformed status entry status\.modules\[3\]: /);
      });
    }

    it("keeps the fields that are well-formed and the reason the entry gave", () => {
      const row = report.toModuleRow(entry("d", "m", "done"), "status.modules[0]");
      assert.equal(row.namespace, "d");
      assert.equal(row.verificationStage, "image");
      assert.match(row.statusReason, /verificationStatus "done" is not one of true, false, error, unknown; its reason: m is done$/);
    });
  });
});

describe("toStatusReport()", () => {
  describe("given objects in any order", () => {
    it("sorts them by name and their modules by namespace/name", () => {
      const r = report.toStatusReport([pfvo("b", []), MIXED, pfvo("a")]);
      assert.deepEqual(r.preflights.map((p) => p.name), ["a", "b", "upgrade"]);
      assert.deepEqual(r.preflights[2]!.modules.map((m) => `${m.namespace}/${m.name}`), ["a/broken", "a/ok", "a/pending", "b/ok", "c/missing-ko", "z/broken"]);
    });
  });

  describe("given a mix of statuses", () => {
    it("counts verified, failed, error and pending", () => {
      assert.deepEqual(report.toStatusReport([MIXED]).preflights[0]!.counts, { verified: 2, failed: 1, error: 2, pending: 1 });
    });

    it("counts a malformed entry as pending", () => {
      const r = report.toStatusReport([pfvo("x", [entry("a", "b", "true"), 12])]);
      assert.deepEqual(r.preflights[0]!.counts, { verified: 1, failed: 0, error: 0, pending: 1 });
    });
  });

  describe("given no status, an empty list, or a status.modules that is not a list", () => {
    it("lists no entry and says why", () => {
      const r = report.toStatusReport([pfvo("none"), pfvo("empty", []), pfvo("bad", "oops")]);
      assert.deepEqual(r.preflights.map((p) => [p.name, p.modules.length, p.note !== undefined]), [["bad", 0, true], ["empty", 0, true], ["none", 0, true]]);
      assert.equal(r.preflights[1]!.note, report.NOT_VALIDATED_YET);
    });
  });

  describe("given objects that are not objects at all", () => {
    it("never throws", () => {
      assert.doesNotThrow(() => render.renderStatusTable(report.toStatusReport([null, 3, "x", { metadata: 1, spec: [], status: "y" }]), NOW));
    });
  });

  describe("given a module filter", () => {
    it("keeps only that Module's entries and marks objects without one", () => {
      const r = report.toStatusReport([MIXED, pfvo("other", [entry("x", "y", "true")])], { namespace: "a", name: "broken" });
      assert.deepEqual(r.preflights.map((p) => [p.name, p.modules.length, p.moduleMissing]), [["other", 0, true], ["upgrade", 1, false]]);
      assert.deepEqual(r.preflights[1]!.counts, { verified: 0, failed: 0, error: 1, pending: 0 });
    });
  });
});

describe("statusExitCode()", () => {
  const code = (objects: unknown[], module?: report.ModuleKey) => report.statusExitCode(report.toStatusReport(objects, module));

  it("given every Module verified returns 0", () => assert.equal(code([pfvo("a", [entry("a", "b", "true")]), pfvo("b", [entry("c", "d", "true")])]), 0));
  for (const s of ["false", "error", "unknown"]) {
    it(`given one Module ${s} returns 1`, () => assert.equal(code([pfvo("a", [entry("a", "b", "true"), entry("a", "c", s)])]), 1));
  }
  it("given a malformed entry returns 1", () => assert.equal(code([pfvo("a", [entry("a", "b", "true"), { name: 1 }])]), 1));
  it("given an object not validated yet returns 1", () => assert.equal(code([pfvo("a", [entry("a", "b", "true")]), pfvo("b")]), 1));
  it("given no object returns 1", () => assert.equal(code([]), 1));
  it("given a filtered Module verified everywhere returns 0", () => assert.equal(code([MIXED], { namespace: "a", name: "ok" }), 0));
  it("given a filtered Module missing from one object returns 1", () =>
    assert.equal(code([MIXED, pfvo("other", [entry("x", "y", "true")])], { namespace: "a", name: "ok" }), 1));
  it("given a filtered Module in no object returns 1", () => assert.equal(code([MIXED], { namespace: "a", name: "nope" }), 1));
});

describe("renderStatusTable()", () => {
  describe("given a mix of statuses", () => {
    const text = render.renderStatusTable(report.toStatusReport([MIXED]), NOW);
    const lines = text.trimEnd().split("\n");

    it("starts with the object's name, release image and counts", () => {
      assert.equal(lines[0], `PreflightValidationOCP upgrade (release ${RELEASE}): 2 verified, 1 failed, 2 error, 1 pending`);
    });

    it("puts problems first (error, false, unknown, true), then sorts by namespace/name", () => {
      assert.deepEqual(lines.slice(2).map((l) => l.split(/\s+/)[0]), ["a/broken", "z/broken", "c/missing-ko", "a/pending", "a/ok", "b/ok"]);
    });

    it("aligns the columns and shows status, stage, age and the whole reason", () => {
      assert.match(lines[1]!, /^NAMESPACE\/NAME\s+STATUS\s+STAGE\s+SINCE\s+REASON$/);
      const reasonAt = lines[1]!.indexOf("REASON");
      for (const l of lines.slice(2)) assert.match(l.slice(reasonAt), /^\S+ is (true|false|error|unknown)$/);
      assert.match(lines[2]!, /^a\/broken\s+error\s+image\s+60s\s+broken is error$/);
    });
  });

  describe("given two objects for one release, one for its real-time kernel", () => {
    it("tells them apart in their headings", () => {
      const rt = { ...pfvo("upgrade-rt"), spec: { releaseImage: RELEASE, useRTKernel: true } };
      const lines = render.renderStatusTable(report.toStatusReport([pfvo("upgrade"), rt]), NOW).trimEnd().split("\n\n");
      assert.deepEqual(lines, [
        `PreflightValidationOCP upgrade (release ${RELEASE}): ${report.NOT_VALIDATED_YET}`,
        `PreflightValidationOCP upgrade-rt (release ${RELEASE}, real-time kernel): ${report.NOT_VALIDATED_YET}`,
      ]);
      const doc = JSON.parse(render.renderStatusJson(report.toStatusReport([pfvo("upgrade"), rt]))) as { useRTKernel: boolean }[];
      assert.deepEqual(doc.map((p) => p.useRTKernel), [false, true]);
    });
  });

  describe("given a long reason", () => {
    it("keeps it whole", () => {
      const reason = `image missing: ${"x".repeat(900)}`;
      const text = render.renderStatusTable(report.toStatusReport([pfvo("a", [entry("a", "b", "false", { statusReason: reason })])]), NOW);
      assert.ok(text.includes(reason));
    });
  });

  describe("given terminal control characters in cluster strings", () => {
    it("escapes them in the reason, the names and the release image", () => {
      const evil = pfvo("a", [entry("ns\x1b]0;x\x07", "m\u009b2J", "error", { statusReason: "line1\nline2\r\x1b[2J\u202eevil" })], "img\x1b[31m");
      const text = render.renderStatusTable(report.toStatusReport([evil]), NOW);
      assert.doesNotMatch(text.replace(/\n/g, ""), /[\u0000-\u001f\u007f-\u009f\u202e]/);
      assert.ok(text.includes("line1\\nline2\\r\\x1b[2J\\u202eevil"));
      assert.ok(text.includes("img\\x1b[31m"));
      assert.ok(text.includes("\\x9b2J"));
      assert.equal(text.trimEnd().split("\n").length, 3, "one line per row");
    });
  });

  describe("given an object without status", () => {
    it("says so in one line", () => {
      assert.equal(render.renderStatusTable(report.toStatusReport([pfvo("fresh")]), NOW), `PreflightValidationOCP fresh (release ${RELEASE}): ${report.NOT_VALIDATED_YET}\n`);
    });
  });

  describe("given several objects", () => {
    it("separates them with a blank line", () => {
      const text = render.renderStatusTable(report.toStatusReport([pfvo("fresh"), MIXED]), NOW);
      assert.equal(text.split("\n\n").length, 2);
    });
  });

  describe("given a module filter that matches nothing", () => {
    it("says where it is missing and how to check that the Module exists", () => {
      const text = render.renderStatusTable(report.toStatusReport([MIXED], { namespace: "drivers", name: "gpu" }), NOW);
      assert.match(text, /: Module drivers\/gpu is not in its status yet\n/);
      assert.match(text, /kubectl get module -n drivers gpu\n$/);
    });
  });

  describe("given no object", () => {
    it("says none exists", () => {
      assert.match(render.renderStatusTable(report.toStatusReport([]), NOW), /^no PreflightValidationOCP exists/);
    });
  });
});

describe("renderStatusJson()", () => {
  describe("given a mix of statuses and a malformed entry", () => {
    const doc = JSON.parse(render.renderStatusJson(report.toStatusReport([pfvo("b", [entry("a", "x", "true"), 5]), pfvo("a")]))) as unknown;

    it("is an array of {name, releaseImage, useRTKernel, note, moduleMissing, counts, jobs, modules}, every key present", () => {
      assert.deepEqual(doc, [
        { name: "a", releaseImage: RELEASE, useRTKernel: false, note: report.NOT_VALIDATED_YET, moduleMissing: false, counts: { verified: 0, failed: 0, error: 0, pending: 0 }, jobs: null, modules: [] },
        {
          name: "b",
          releaseImage: RELEASE,
          useRTKernel: false,
          note: null,
          moduleMissing: false,
          jobs: null,
          counts: { verified: 1, failed: 0, error: 0, pending: 1 },
          modules: [
            { namespace: "", name: "", verificationStatus: "unknown", verificationStage: null, lastTransitionTime: null, statusReason: "malformed status entry status.modules[1]: 5 is not an object" },
            { namespace: "a", name: "x", verificationStatus: "true", verificationStage: "image", lastTransitionTime: ago(60), statusReason: "x is true" },
          ],
        },
      ]);
    });
  });

  describe("given objects with nothing to list", () => {
    it("tells not validated yet, a malformed status.modules and a missing --module apart by note and moduleMissing", () => {
      const r = report.toStatusReport([MIXED, pfvo("bad", "oops"), pfvo("fresh", [])], { namespace: "d", name: "m" });
      const doc = JSON.parse(render.renderStatusJson(r)) as { name: string; note: string | null; moduleMissing: boolean }[];
      assert.deepEqual(doc.map((p) => [p.name, p.note?.replace(/:.*/, ""), p.moduleMissing]), [
        ["bad", "status.modules is malformed", false],
        ["fresh", report.NOT_VALIDATED_YET, false],
        ["upgrade", undefined, true],
      ]);
      assert.equal(doc[2]!.note, null);
    });
  });

  describe("given control characters", () => {
    it("escapes them all, and parses back to the same strings", () => {
      const reason = "a\x1b[2Jb\u009bc\u202ed\x7f";
      const text = render.renderStatusJson(report.toStatusReport([pfvo("a", [entry("a", "b", "false", { statusReason: reason })])]));
      assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
      assert.equal((JSON.parse(text) as [{ modules: [{ statusReason: string }] }])[0].modules[0].statusReason, reason);
    });
  });
});

describe("runStatus()", () => {
  const table = { output: "table" } as const;

  describe("given no cluster configured", () => {
    it("exits 2 and says how to point at a cluster", async () => {
      const r = await sut.runStatus(table, undefined, NOW);
      assert.equal(r.exitCode, 2);
      assert.match(r.stderr, /no cluster configured.*--kubeconfig/);
    });
  });

  describe("given an API error", () => {
    it("exits 2 with the reader's message on one line", async () => {
      const r = await sut.runStatus(table, reader([], new Error("cannot list: HTTP 500: boom\x1b[2J")), NOW);
      assert.equal(r.exitCode, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, "error: cannot list: HTTP 500: boom\\x1b[2J\n");
    });
  });

  describe("given a NAME that does not exist", () => {
    it("exits 2, naming it and how to list the objects", async () => {
      const r = await sut.runStatus({ ...table, name: "nope" }, reader([MIXED]), NOW);
      assert.equal(r.exitCode, 2);
      assert.match(r.stderr, /"nope" not found.*kubectl get pfvo/);
    });
  });

  describe("given a NAME that exists", () => {
    it("renders only that object, with the exit code of its modules", async () => {
      const r = await sut.runStatus({ ...table, name: "ok" }, reader([MIXED, pfvo("ok", [entry("a", "b", "true")])]), NOW);
      assert.equal(r.exitCode, 0);
      assert.match(r.stdout, /^PreflightValidationOCP ok /);
      assert.doesNotMatch(r.stdout, /upgrade/);
    });
  });

  describe("given -o json and a module in no status", () => {
    it("prints the document on stdout and the hint on stderr", async () => {
      const r = await sut.runStatus({ output: "json", module: { namespace: "d", name: "m" } }, reader([MIXED]), NOW);
      assert.equal(r.exitCode, 1);
      assert.deepEqual((JSON.parse(r.stdout) as { modules: unknown[] }[])[0]!.modules, []);
      assert.match(r.stderr, /^note: .*kubectl get module -n d m\n$/);
    });
  });
});
