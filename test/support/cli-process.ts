import { execFile } from "node:child_process";

/** What a run of the CLI gave: its exit code and output. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kmm-preflight args...` as a person or a CI pipeline does: a process, argv, stdin, exit code. */
export function runCli(args: string[], stdin?: string | Buffer): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? "");
  });
}
