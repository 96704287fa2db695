// Running and timing the processes of a benchmark: every child in its own process group (so a timeout or
// Ctrl-C takes its whole pipeline down), argv arrays only, and a few statistics.
import { spawn, type ChildProcess } from "node:child_process";
import { access, readFile } from "node:fs/promises";

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit. */
  readonly seconds: number;
  readonly timedOut: boolean;
}

const live = new Set<ChildProcess>();

/** Kills the process group of every child still running (only ours: each was started detached). */
export function killAllChildren(signal: NodeJS.Signals = "SIGKILL"): void {
  for (const child of live) killGroup(child, signal);
  live.clear();
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Runs `file` with `args` (no shell), collecting its output; killed with its group after `timeoutMs`. */
export function run(
  file: string,
  args: readonly string[],
  opts: { timeoutMs: number; cwd?: string; env?: NodeJS.ProcessEnv; maxOutputBytes?: number },
): Promise<Finished> {
  const limit = opts.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    child.stdout!.on("data", (b: Buffer) => {
      if ((outBytes += b.length) <= limit) out.push(b);
    });
    child.stderr!.on("data", (b: Buffer) => {
      if ((errBytes += b.length) <= limit) err.push(b);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, opts.timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.once("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), seconds, timedOut });
    });
  });
}

/** The peak RSS in KiB that `/usr/bin/time -f %M -o FILE` wrote (its last line), if any. */
export async function readTimeOutput(file: string): Promise<number | undefined> {
  try {
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const n = Number(lines[lines.length - 1]);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** The first line a tool prints for `args` (e.g. its version), or undefined. */
export async function firstLine(file: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const r = await run(file, args, { timeoutMs: 5000 });
    return `${r.stdout}${r.stderr}`.split("\n").find((l) => l.trim() !== "")?.trim();
  } catch {
    return undefined;
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const min = (xs: readonly number[]) => Math.min(...xs);
export const max = (xs: readonly number[]) => Math.max(...xs);
