import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as sut from "./config.js";

describe("parseServeConfig()", () => {
  describe("given nothing", () => {
    it("uses the documented defaults", () => {
      const r = sut.parseServeConfig([], {});
      assert.ok(r.ok);
      assert.equal(r.config.port, 8443);
      assert.equal(r.config.certDir, "certs");
      assert.equal(r.config.logLevel, "info");
      assert.equal(r.config.generateCerts, true);
      assert.equal(r.config.noCluster, false);
      assert.equal(r.config.kubeconfig, undefined);
      assert.equal(r.config.leaderElect, false, "off by default: a workstation's kubeconfig must not join a cluster's election");
      assert.equal(r.config.leaderElectionId, "kmm-preflight");
      assert.deepEqual([r.config.leaseDurationSeconds, r.config.renewDeadlineSeconds, r.config.retryPeriodSeconds], [15, 10, 2]);
    });

    it("leaves $KUBECONFIG (possibly a list of files) to the cluster loader", () => {
      const r = sut.parseServeConfig([], { KUBECONFIG: "/a:/b" });
      assert.ok(r.ok);
      assert.equal(r.config.kubeconfig, undefined);
    });
  });

  describe("given environment variables and flags", () => {
    it("prefers flags over the environment", () => {
      const r = sut.parseServeConfig(["--port", "9443", "--log-level=debug"], { PORT: "1234", LOG_LEVEL: "warn", CERT_DIR: "/certs" });
      assert.ok(r.ok);
      assert.equal(r.config.port, 9443);
      assert.equal(r.config.logLevel, "debug");
      assert.equal(r.config.certDir, "/certs");
    });
  });

  describe("given a boolean flag without a value", () => {
    it("takes it as true, before another flag or at the end, and still takes an explicit value", () => {
      for (const argv of [["--no-cluster"], ["--no-cluster", "--port", "0"], ["--no-cluster=true"], ["--no-cluster", "true"]]) {
        const r = sut.parseServeConfig(argv, {});
        assert.ok(r.ok, `${argv.join(" ")}: ${r.ok ? "" : r.errors.join("; ")}`);
        assert.equal(r.config.noCluster, true, argv.join(" "));
      }
      const off = sut.parseServeConfig(["--generate-certs", "false"], {});
      assert.ok(off.ok && off.config.generateCerts === false);
    });
  });

  describe("given bad values", () => {
    it("reports every one, naming the flag and the variable", () => {
      const r = sut.parseServeConfig(["--port", "99999"], { LOG_LEVEL: "loud", NO_CLUSTER: "maybe", SHUTDOWN_DELAY_SECONDS: "-1" });
      assert.ok(!r.ok);
      assert.equal(r.errors.length, 4);
      assert.match(r.errors.join("\n"), /--port \(PORT\)/);
      assert.match(r.errors.join("\n"), /--log-level \(LOG_LEVEL\).*"loud"/);
    });

    it("rejects values that would fail or misbehave later: a zero poll interval, an empty port, a timer overflow", () => {
      const r = sut.parseServeConfig(["--port", "", "--shutdown-timeout-seconds", "1e7"], { CERT_POLL_SECONDS: "0" });
      assert.ok(!r.ok);
      assert.equal(r.errors.length, 3, r.errors.join("\n"));
    });

    it("rejects leader-election timings that could let two leaders overlap, naming the three flags", () => {
      const r = sut.parseServeConfig(["--leader-elect", "--leader-lease-duration-seconds", "10"], {});
      assert.ok(!r.ok);
      assert.deepEqual(r.errors, [
        "--leader-lease-duration-seconds, --leader-renew-deadline-seconds, --leader-retry-period-seconds: the lease duration (10s) must exceed the renew deadline (10s)",
      ]);
      assert.ok(sut.parseServeConfig(["--leader-lease-duration-seconds", "10"], {}).ok, "irrelevant without leader election");
    });

    it("rejects runner settings that cannot work, saying what is allowed", () => {
      const r = sut.parseServeConfig(["--sweep-schedule", "*/5 * * * *", "--max-running-jobs", "0", "--job-deadline-seconds", "1.5", "--release-pull-secret", "pull-secret"], { REVALIDATE_AFTER_SECONDS: "soon" });
      assert.equal(r.ok, false);
      const errors = (r as { errors: string[] }).errors.join("\n");
      assert.match(errors, /--sweep-schedule \(SWEEP_SCHEDULE\): "\*\/5 \* \* \* \*" has 5 fields; give 6, seconds first/);
      assert.match(errors, /--max-running-jobs \(MAX_RUNNING_JOBS\): "0" must be a whole number from 1/);
      assert.match(errors, /--job-deadline-seconds .*whole number of seconds/);
      assert.match(errors, /--revalidate-after-seconds .*"soon"/);
      assert.match(errors, /--release-pull-secret .*namespace\/name/);
      assert.match(sut.parseServeConfig(["--sweep-schedule", "* * * 99 * *"], {}).ok ? "" : "not a cron expression", /not a cron expression/);
    });

    it("takes the runner's defaults and values as documented", () => {
      const d = sut.parseServeConfig([], {});
      assert.ok(d.ok);
      assert.deepEqual([d.config.jobImage, d.config.sweepSchedule, d.config.maxRunningJobs, d.config.revalidateAfterSeconds, d.config.jobDeadlineSeconds, d.config.releasePullSecret, d.config.noRunner],
        [undefined, "*/30 * * * * *", 20, 600, 600, { namespace: "openshift-config", name: "pull-secret" }, false]);
      const r = sut.parseServeConfig(["--no-runner", "--release-pull-secret=ops/registry-creds"], { MAX_RUNNING_JOBS: "5" });
      assert.ok(r.ok);
      assert.deepEqual([r.config.noRunner, r.config.releasePullSecret, r.config.maxRunningJobs], [true, { namespace: "ops", name: "registry-creds" }, 5]);
    });

    it("rejects an unknown flag", () => {
      const r = sut.parseServeConfig(["--prot", "1"], {});
      assert.ok(!r.ok);
      assert.match(r.errors[0]!, /--prot/);
    });
  });
});

describe("serveUsage()", () => {
  it("lists every setting with its environment variable", () => {
    const usage = sut.serveUsage();
    for (const s of sut.SERVE_SETTINGS) assert.match(usage, new RegExp(`--${s.flag}\\s+${s.env ?? ""}`));
  });

  it("aligns the columns, a long flag or default leaving at least two spaces before the next", () => {
    const lines = sut.serveUsage().split("\n").slice(2);
    const at = (line: string, text: string) => line.indexOf(`  ${text}`) + 2;
    const meaning = at(lines[0]!, "meaning");
    for (const s of sut.SERVE_SETTINGS) {
      const line = lines.find((l) => l.startsWith(`  --${s.flag} `))!;
      assert.equal(at(line, s.help), meaning, `--${s.flag}: ${line}`);
      if (s.env) assert.equal(at(line, s.env), at(lines[0]!, "environment"), `--${s.flag}: ${line}`);
    }
  });
});

describe("README", () => {
  it("documents every serve setting with its flag, environment variable and default", async () => {
    const { readFile } = await import("node:fs/promises");
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const quote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    for (const s of sut.SERVE_SETTINGS) {
      const shown = s.default === undefined ? "[^|]*" : quote(`\`${s.default}\``);
      const row = new RegExp(`\\| \`--${s.flag}\` \\| ${s.env ? `\`${s.env}\`` : ""} ?\\| ${shown} ?\\|`);
      assert.match(readme, row, `README lacks --${s.flag} with its default`);
    }
  });
});
