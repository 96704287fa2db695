// Benchmark (not a test): how fast, and in how much memory, the image stage scans a large layer whose
// kernel module is its last entry, against `curl | gzip -dc | tar -t` (GNU and ISA-L) on the same blob
// from the same registry. See bench/README.md.
//
//   node --import tsx bench/layer-scan.ts [--size-mib 1024] [--runs 3] [--json out.json] [--clean]
//        [--extra] [--skip-cli] [--runner bundle|tsx] [--cpu-prof DIR] [--timeout-s 900] [--fail-on-target]
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MEDIA, pushBlobStream, pushManifestFor } from "../test/support/oci-image.js";
import { startRegistry, type RunningRegistry } from "../test/support/registry.js";
import type { ChildReport, ChildTask } from "./layer-scan-child.js";
import { abandonPartialBuilds, ensureLayer, SOURCE_ROOTS } from "./lib/realistic-layer.js";
import { exists, firstLine, killAllChildren, max, median, min, readTimeOutput, run } from "./lib/measure.js";

const MiB = 1024 * 1024;
/** The issue's targets. */
const TARGET_THROUGHPUT_RATIO = 0.8;
const TARGET_PEAK_RSS_MB = 150;
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const CACHE_ROOT = path.join(tmpdir(), "kmm-preflight-bench-cache");
const TIME = "/usr/bin/time";

const USAGE = `usage: node --import tsx bench/layer-scan.ts [options]
  --size-mib N       uncompressed size of the layer's tar (default 1024)
  --runs N           measurements per contender; median and min are reported (default 3)
  --json FILE        also write the figures as JSON
  --clean            remove the layer cache (${CACHE_ROOT}) at the end
  --extra            also measure zlib with 256 KiB chunks, zlib+tar-stream and registry client+zlib
                     (where the time goes)
  --skip-cli         do not measure the compiled \`kmm-preflight check\` CLI (saves a tsc build and a run)
  --runner R         how the check's child runs: bundle (esbuild bundle, plain node; default) or tsx
  --cpu-prof DIR     write a V8 CPU profile of every run of the check into DIR
  --timeout-s N      give up on one measurement after N seconds (default 900)
  --fail-on-target   exit 3 when a target is missed
`;

// A fixed script: the URL and file names come in as positional parameters, never inside the script.
// $1 blob URL, $2..$4 files for each stage's peak RSS, $5 the decompressor.
const PIPELINE_TIMED = `set -o pipefail
${TIME} -f %M -o "$2" curl -sSf "$1" | ${TIME} -f %M -o "$3" "$5" -dc | ${TIME} -f %M -o "$4" tar -tf - >/dev/null`;
const PIPELINE_UNTIMED = `set -o pipefail
curl -sSf "$1" | "$5" -dc | tar -tf - >/dev/null`;

interface Sample {
  readonly seconds: number;
  /** Peak RSS in KiB: the process's own, or the sum of a pipeline's stages (they run at the same time). */
  readonly peakRssKiB?: number;
  readonly detail?: Record<string, unknown>;
}

interface Contender {
  readonly name: string;
  readonly key: string;
  readonly informational?: boolean;
  readonly samples: Sample[];
  readonly errors: string[];
}

function parse() {
  const { values } = parseArgs({
    options: {
      "size-mib": { type: "string", default: "1024" },
      runs: { type: "string", default: "3" },
      json: { type: "string" },
      clean: { type: "boolean", default: false },
      extra: { type: "boolean", default: false },
      "skip-cli": { type: "boolean", default: false },
      runner: { type: "string", default: "bundle" },
      "cpu-prof": { type: "string" },
      "timeout-s": { type: "string", default: "900" },
      "fail-on-target": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string, lo: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo) throw new UsageError(`--${name} must be an integer >= ${lo}, got ${JSON.stringify(v)}`);
    return n;
  };
  const runner = values.runner;
  if (runner !== "bundle" && runner !== "tsx") throw new UsageError(`--runner must be bundle or tsx, got ${JSON.stringify(runner)}`);
  return {
    sizeMiB: int("size-mib", values["size-mib"], 4),
    runs: int("runs", values.runs, 1),
    json: values.json,
    clean: values.clean,
    extra: values.extra,
    skipCli: values["skip-cli"],
    runner: runner as "bundle" | "tsx",
    cpuProf: values["cpu-prof"],
    timeoutMs: int("timeout-s", values["timeout-s"], 10) * 1000,
    failOnTarget: values["fail-on-target"],
  };
}

class UsageError extends Error {}

// A reader that goes away (`| head`) must not kill the run before it cleans up: stop printing instead.
let stdoutGone = false;
process.stdout.on("error", () => (stdoutGone = true));
const say = (msg: string) => {
  if (!stdoutGone) process.stdout.write(`${msg}\n`);
};
const mb = (kib: number | undefined) => (kib === undefined ? undefined : (kib * 1024) / 1e6);
const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? "n/a" : n.toFixed(digits));

async function main(): Promise<number> {
  const opts = parse();
  const work = await mkdtemp(path.join(tmpdir(), "kmm-preflight-bench-"));
  let reg: RunningRegistry | undefined;
  let interrupted = false;
  const cleanup = async () => {
    killAllChildren();
    await abandonPartialBuilds();
    await reg?.stop().catch(() => undefined);
    reg = undefined;
    await rm(work, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    say(`\n${signal}: stopping children and the registry, removing ${work}`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    // 1. The layer.
    say(`layer: ${opts.sizeMiB} MiB of tar from ${SOURCE_ROOTS.join(", ")}, module last; cache ${CACHE_ROOT}`);
    const layer = await ensureLayer({ sizeMiB: opts.sizeMiB, cacheRoot: CACHE_ROOT, log: say });
    const m = layer.meta;
    say(
      layer.cached
        ? `layer: reused from the cache (${layer.cacheDir}; built earlier in ${fmt(m.buildSeconds)} s; --clean removes it)`
        : `layer: built in ${fmt(m.buildSeconds)} s and cached in ${layer.cacheDir} (the next run reuses it; --clean removes it)`,
    );
    say(
      `layer: ${fmt(m.tarBytes / MiB)} MiB tar → ${fmt(m.blobBytes / MiB)} MiB gzip (${m.compressor}, ratio ${fmt(m.tarBytes / m.blobBytes, 2)}), ` +
        `${m.entries.files} files, ${m.entries.dirs} dirs, ${m.entries.symlinks} symlinks, last entry ${m.modulePath}`,
    );

    // 2. The registry and the image.
    reg = await startRegistry();
    const repo = "bench/driver";
    const image = `${reg.host}/${repo}:${m.kernel}`;
    const pushStarted = performance.now();
    const pushed = await pushBlobStream(reg, repo, createReadStream(layer.blobPath, { highWaterMark: MiB }), { size: m.blobBytes });
    if (pushed.digest !== m.digest) throw new Error(`pushed blob has digest ${pushed.digest}, the cache says ${m.digest}: remove ${layer.cacheDir}`);
    await pushManifestFor(reg, repo, m.kernel, [{ mediaType: MEDIA.ociLayerGzip, digest: m.digest, size: m.blobBytes, diffId: m.diffId }]);
    say(`registry: ${reg.url} (docker-registry on loopback); pushed ${image} in ${fmt((performance.now() - pushStarted) / 1000)} s`);
    const blobUrl = `${reg.url}/v2/${repo}/blobs/${m.digest}`;
    // Warm the page cache, so that every contender reads the blob from memory.
    await pipeline(createReadStream(reg.blobPath(m.digest), { highWaterMark: 4 * MiB }), new Writable({ write: (_c, _e, cb) => cb() }));

    // 3. The contenders.
    const childCommand = await prepareChild(opts.runner, work);
    const cli = opts.skipCli ? undefined : await prepareCli(work, image, m.moduleName);
    const hasTime = await exists(TIME);
    const hasIgzip = await exists("/usr/bin/igzip");
    const contenders: Contender[] = [
      { name: "ours: checkModuleImage", key: "ours", samples: [], errors: [] },
      ...(cli ? [{ name: "ours: kmm-preflight check CLI", key: "cli", informational: true, samples: [], errors: [] }] : []),
      { name: "curl | gzip -dc | tar -t", key: "gnu", samples: [], errors: [] },
      ...(hasIgzip ? [{ name: "curl | igzip -dc | tar -t", key: "isal", samples: [], errors: [] }] : []),
      { name: "node zlib gunzip (info)", key: "zlib", informational: true, samples: [], errors: [] },
      ...(opts.extra
        ? [
            { name: "zlib, 256 KiB chunks (info)", key: "zlib-256k", informational: true, samples: [], errors: [] },
            { name: "zlib + tar-stream (info)", key: "zlib-tar", informational: true, samples: [], errors: [] },
            { name: "client + zlib (info)", key: "client-zlib", informational: true, samples: [], errors: [] },
          ]
        : []),
    ];
    const tasks: Record<string, ChildTask> = {
      ours: { mode: "check", registry: reg.host, image, kernel: m.kernel, moduleName: m.moduleName },
      zlib: { mode: "zlib", url: blobUrl },
      "zlib-256k": { mode: "zlib", url: blobUrl, chunkSize: 256 * 1024 },
      "zlib-tar": { mode: "zlib-tar", url: blobUrl },
      "client-zlib": { mode: "client-zlib", registry: reg.host, image, digest: m.digest, size: m.blobBytes },
    };
    if (opts.cpuProf) await mkdir(opts.cpuProf, { recursive: true });

    say(`runs: ${opts.runs} of each, interleaved; check child: ${opts.runner === "bundle" ? "esbuild bundle on plain node" : "node --import tsx"} ${process.version}; ${cpus().length} CPUs`);
    for (let i = 1; i <= opts.runs; i++) {
      for (const c of contenders) {
        if (interrupted) return 130;
        let sample: Sample;
        try {
          if (c.key === "cli") {
            sample = await runCli(cli!, m.kernel, reg.host, work, `cli-${i}`, hasTime, opts.timeoutMs);
          } else if (c.key === "gnu" || c.key === "isal") {
            sample = await runPipeline(blobUrl, c.key === "gnu" ? "gzip" : "igzip", work, `${c.key}-${i}`, hasTime, opts.timeoutMs);
          } else {
            const profile = c.key === "ours" && opts.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(opts.cpuProf)] : [];
            sample = await runChild(childCommand, tasks[c.key]!, profile, opts.timeoutMs);
            if (c.key === "ours") {
              const d = sample.detail as { verdict?: string; reason?: string; path?: string };
              if (d.verdict !== "true") throw new Error(`verdict ${d.verdict}: ${d.reason}`);
              if (d.path !== `/${m.modulePath}`) throw new Error(`found ${d.path}, expected /${m.modulePath}`);
            }
          }
        } catch (err) {
          if (interrupted) return 130;
          c.errors.push((err as Error).message);
          say(`  run ${i} ${c.name}: FAILED: ${(err as Error).message}`);
          continue;
        }
        c.samples.push(sample);
        say(`  run ${i} ${c.name.padEnd(28)} ${fmt(sample.seconds, 2).padStart(7)} s  peak RSS ${fmt(mb(sample.peakRssKiB))} MB`);
      }
    }

    // 4. The report.
    const rows = contenders.map((c) => summarize(c, m.blobBytes, m.tarBytes));
    say("");
    say(table(rows));
    const byKey = (k: string) => rows.find((r) => r.key === k);
    const ours = byKey("ours");
    const gnu = byKey("gnu");
    const isal = byKey("isal");
    const zlib = byKey("zlib");
    const ratio = (a: Row | undefined, b: Row | undefined) => (a?.medianSeconds && b?.medianSeconds ? b.medianSeconds / a.medianSeconds : undefined);
    const vsGnu = ratio(ours, gnu);
    const vsIsal = ratio(ours, isal);
    const vsZlib = ratio(ours, zlib);
    const peakMB = ours?.peakRssMB;
    const throughputPass = vsGnu !== undefined && vsGnu >= TARGET_THROUGHPUT_RATIO;
    const rssPass = peakMB !== undefined && peakMB < TARGET_PEAK_RSS_MB;
    say("");
    say(`throughput ours / GNU gzip   = ${fmt(vsGnu, 2)}  (median ${fmt(ours?.medianSeconds, 2)} s vs ${fmt(gnu?.medianSeconds, 2)} s)`);
    say(`throughput ours / ISA-L      = ${fmt(vsIsal, 2)}  (median ${fmt(ours?.medianSeconds, 2)} s vs ${fmt(isal?.medianSeconds, 2)} s)`);
    say(`throughput ours / node zlib  = ${fmt(vsZlib, 2)}  (the decompressor's ceiling in Node)`);
    say(`target: throughput >= ${TARGET_THROUGHPUT_RATIO * 100}% of curl | gzip -dc | tar -t: ${throughputPass ? "PASS" : "FAIL"} (${fmt(vsGnu === undefined ? undefined : vsGnu * 100, 0)}%)`);
    say(`target: peak RSS < ${TARGET_PEAK_RSS_MB} MB: ${rssPass ? "PASS" : "FAIL"} (${fmt(peakMB)} MB; ${fmt(mb(ours?.rssBeforeKiB))} MB of it resident before the check started)`);
    const cliRow = byKey("cli");
    if (cliRow) {
      say(
        `the shipped entry point, \`kmm-preflight check\` (tsc build, NODE_OPTIONS=--enable-source-maps as in the Dockerfile): ` +
          `${fmt(ratio(cliRow, gnu) === undefined ? undefined : ratio(cliRow, gnu)! * 100, 0)}% of GNU (process wall time, start-up included), ` +
          `peak RSS ${fmt(cliRow.peakRssMB)} MB: ${cliRow.peakRssMB !== undefined && cliRow.peakRssMB < TARGET_PEAK_RSS_MB ? "under" : "OVER"} the ${TARGET_PEAK_RSS_MB} MB target`,
      );
    }
    say(`versus ISA-L (no target): ours reaches ${fmt(vsIsal === undefined ? undefined : vsIsal * 100, 0)}% of curl | igzip -dc | tar -t`);
    say(`note: ours also verifies the blob's sha256 while it streams; the shell pipelines verify nothing.`);
    if (opts.cpuProf) say(`CPU profiles of the check: ${path.resolve(opts.cpuProf)}`);

    const failed = contenders.filter((c) => !c.informational && c.errors.length > 0);
    if (opts.json) {
      const report = {
        benchmark: "layer-scan",
        date: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model,
          node: process.version,
          gzip: await firstLine("gzip", ["--version"]),
          igzip: hasIgzip ? await firstLine("igzip", ["-V"]) : undefined,
          curl: await firstLine("curl", ["--version"]),
          tar: await firstLine("tar", ["--version"]),
        },
        options: { sizeMiB: opts.sizeMiB, runs: opts.runs, runner: opts.runner },
        layer: { ...m, cached: layer.cached },
        results: rows.map((r) => ({ ...r, samples: contenders.find((c) => c.key === r.key)!.samples, errors: contenders.find((c) => c.key === r.key)!.errors })),
        ratios: { oursOverGnu: vsGnu, oursOverIsal: vsIsal, oursOverNodeZlib: vsZlib, cliOverGnu: ratio(byKey("cli"), gnu) },
        targets: {
          throughput: { want: `>= ${TARGET_THROUGHPUT_RATIO} of curl | gzip -dc | tar -t`, got: vsGnu, pass: throughputPass },
          peakRss: { want: `< ${TARGET_PEAK_RSS_MB} MB`, got: peakMB, pass: rssPass },
        },
      };
      await mkdir(path.dirname(path.resolve(opts.json)), { recursive: true });
      await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);
      say(`figures written to ${opts.json}`);
    }
    if (failed.length) return 1;
    if (opts.failOnTarget && !(throughputPass && rssPass)) return 3;
    return 0;
  } finally {
    await cleanup();
    if (opts.clean) {
      await rm(CACHE_ROOT, { recursive: true, force: true });
      say(`removed the layer cache ${CACHE_ROOT}`);
    }
  }
}

/** How to start the check's child: an esbuild bundle run by plain node (as in production), or through tsx. */
async function prepareChild(runner: "bundle" | "tsx", work: string): Promise<{ file: string; args: string[] }> {
  const source = path.join(REPO_ROOT, "bench", "layer-scan-child.ts");
  const esbuild = path.join(REPO_ROOT, "node_modules", ".bin", "esbuild");
  if (runner === "bundle" && (await exists(esbuild))) {
    const out = path.join(work, "layer-scan-child.mjs");
    const r = await run(
      esbuild,
      [
        source,
        "--bundle",
        "--platform=node",
        "--format=esm",
        "--target=node20",
        `--outfile=${out}`,
        "--log-level=warning",
        // CommonJS dependencies (undici, tar-stream) call require() for Node's built-ins.
        "--banner:js=import { createRequire as __bench_createRequire } from 'node:module'; const require = __bench_createRequire(import.meta.url);",
      ],
      { timeoutMs: 120_000, cwd: REPO_ROOT },
    );
    if (r.code !== 0) throw new Error(`esbuild failed: ${r.stderr}`);
    return { file: process.execPath, args: [out] };
  }
  if (runner === "bundle") say(`runner: ${esbuild} not found, using tsx`);
  return { file: process.execPath, args: ["--import", "tsx", source] };
}

/**
 * The shipped entry point: src compiled with the project's tsc build settings into the work dir, run as
 * `node dist/cli/main.js check` with the Dockerfile's NODE_OPTIONS. Undefined (with a note) when it cannot be built.
 */
async function prepareCli(work: string, image: string, moduleName: string): Promise<{ dir: string; moduleFile: string } | undefined> {
  const dir = path.join(work, "cli");
  const tsc = path.join(REPO_ROOT, "node_modules", ".bin", "tsc");
  // Type errors do not stop tsc from emitting; a missing dist/cli/main.js does stop this row.
  await run(tsc, ["-p", "tsconfig.build.json", "--outDir", path.join(dir, "dist")], { timeoutMs: 300_000, cwd: REPO_ROOT });
  if (!(await exists(path.join(dir, "dist", "cli", "main.js")))) {
    say("cli: tsc produced no dist/cli/main.js; the CLI row is skipped");
    return undefined;
  }
  await writeFile(path.join(dir, "package.json"), `${JSON.stringify({ type: "module" })}\n`);
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const moduleFile = path.join(work, "module.json");
  const module = {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: "bench-driver", namespace: "bench" },
    spec: { selector: {}, moduleLoader: { container: { modprobe: { moduleName }, kernelMappings: [{ regexp: "^.+$", containerImage: image }] } } },
  };
  await writeFile(moduleFile, JSON.stringify(module));
  return { dir, moduleFile };
}

async function runCli(cli: { dir: string; moduleFile: string }, kernel: string, registry: string, work: string, id: string, timed: boolean, timeoutMs: number): Promise<Sample> {
  const rssFile = path.join(work, `${id}.rss`);
  const argv = [process.execPath, "dist/cli/main.js", "check", "--module", cli.moduleFile, "--kernel", kernel, "--insecure-registry", registry, "--output", "json"];
  const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", NODE_ENV: "production", NODE_OPTIONS: "--enable-source-maps" };
  const r = timed ? await run(TIME, ["-f", "%M", "-o", rssFile, ...argv], { timeoutMs, cwd: cli.dir, env }) : await run(argv[0]!, argv.slice(1), { timeoutMs, cwd: cli.dir, env });
  if (r.timedOut) throw new Error(`timed out after ${timeoutMs / 1000} s`);
  let first: { verificationStatus?: string; reason?: string } | undefined;
  try {
    first = (JSON.parse(r.stdout) as { results?: { verificationStatus?: string; reason?: string }[] }).results?.[0];
  } catch {
    first = undefined;
  }
  const verdict = first?.verificationStatus;
  if (r.code !== 0 || verdict !== "true") throw new Error(`exit ${r.code ?? r.signal}, verdict ${verdict}: ${first?.reason ?? r.stderr.slice(-2000)}`);
  const peak = timed ? await readTimeOutput(rssFile) : undefined;
  return { seconds: r.seconds, ...(peak !== undefined && { peakRssKiB: peak }), detail: { verdict } };
}

async function runChild(cmd: { file: string; args: string[] }, task: ChildTask, nodeFlags: readonly string[], timeoutMs: number): Promise<Sample> {
  const [first, ...rest] = cmd.args;
  const args = [...nodeFlags, first!, ...rest, JSON.stringify(task)];
  const r = await run(cmd.file, args, { timeoutMs, cwd: REPO_ROOT });
  if (r.timedOut) throw new Error(`timed out after ${timeoutMs / 1000} s`);
  if (r.code !== 0) throw new Error(`child exited with ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
  const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as ChildReport;
  return { seconds: report.seconds, peakRssKiB: report.maxRssKiB, detail: { ...report, processSeconds: r.seconds } };
}

async function runPipeline(url: string, decompressor: "gzip" | "igzip", work: string, id: string, timed: boolean, timeoutMs: number): Promise<Sample> {
  const files = ["curl", decompressor, "tar"].map((stage) => path.join(work, `${id}-${stage}.rss`));
  const r = await run("/bin/bash", ["-c", timed ? PIPELINE_TIMED : PIPELINE_UNTIMED, "bench-pipeline", url, ...files, decompressor], { timeoutMs });
  if (r.timedOut) throw new Error(`timed out after ${timeoutMs / 1000} s`);
  if (r.code !== 0) throw new Error(`pipeline exited with ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
  if (!timed) return { seconds: r.seconds };
  const [curl, dec, tar] = await Promise.all(files.map(readTimeOutput));
  const stages = { curl, [decompressor]: dec, tar };
  const all = [curl, dec, tar];
  return { seconds: r.seconds, ...(all.every((x) => x !== undefined) && { peakRssKiB: all.reduce((a, b) => a! + b!, 0) }), detail: { stagePeakRssKiB: stages } };
}

interface Row {
  readonly key: string;
  readonly name: string;
  readonly runs: number;
  readonly medianSeconds?: number;
  readonly minSeconds?: number;
  readonly mibPerSecCompressed?: number;
  readonly mibPerSecUncompressed?: number;
  /** The highest peak over the runs, in MB (10^6 bytes). */
  readonly peakRssMB?: number;
  readonly rssBeforeKiB?: number;
}

function summarize(c: Contender, blobBytes: number, tarBytes: number): Row {
  if (c.samples.length === 0) return { key: c.key, name: c.name, runs: 0 };
  const secs = c.samples.map((s) => s.seconds);
  const med = median(secs);
  const rss = c.samples.flatMap((s) => (s.peakRssKiB === undefined ? [] : [s.peakRssKiB]));
  const before = c.samples.flatMap((s) => {
    const v = (s.detail as { rssBeforeKiB?: number } | undefined)?.rssBeforeKiB;
    return v === undefined ? [] : [v];
  });
  return {
    key: c.key,
    name: c.name,
    runs: c.samples.length,
    medianSeconds: med,
    minSeconds: min(secs),
    mibPerSecCompressed: blobBytes / MiB / med,
    mibPerSecUncompressed: tarBytes / MiB / med,
    ...(rss.length && { peakRssMB: mb(max(rss)) }),
    ...(before.length && { rssBeforeKiB: max(before) }),
  };
}

function table(rows: readonly Row[]): string {
  const head = ["name", "median s", "min s", "MiB/s gz", "MiB/s tar", "peak RSS MB"];
  const body = rows.map((r) => [
    r.name,
    fmt(r.medianSeconds, 2),
    fmt(r.minSeconds, 2),
    fmt(r.mibPerSecCompressed),
    fmt(r.mibPerSecUncompressed),
    fmt(r.peakRssMB),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...body.map(line)].join("\n");
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killAllChildren();
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`layer-scan: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
