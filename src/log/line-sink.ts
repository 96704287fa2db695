/** A turn's lines are written early once they reach this size, so a burst never piles up in memory. */
export const MAX_BATCH_CHARS = 64 * 1024;

/**
 * Where log lines go. With `batch`, the lines logged during one event-loop turn are written as one
 * chunk: under load, a write(2) per line cost more than rendering the line (bench/admission). They are
 * flushed at the end of the turn (setImmediate), at MAX_BATCH_CHARS, on `flush()`, and when the process
 * exits, so process.exit() and a crash lose nothing logged before them; only a SIGKILL can drop the
 * last turn's lines. Without `batch`, each line is written as it comes.
 */
export class LineSink {
  #pending = "";

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly opts: { readonly batch: boolean },
  ) {}

  write(line: string): void {
    if (!this.opts.batch) {
      this.stream.write(`${line}\n`);
      return;
    }
    if (this.#pending === "") {
      setImmediate(() => this.flush());
      unflushed.add(this);
    }
    this.#pending += `${line}\n`;
    if (this.#pending.length >= MAX_BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.#pending === "") return;
    const chunk = this.#pending;
    this.#pending = "";
    unflushed.delete(this);
    this.stream.write(chunk);
  }
}

// One exit hook for every sink rather than a listener per logger. stdout and stderr write
// synchronously to files and pipes, so what is written here reaches them before the process ends.
const unflushed = new Set<LineSink>();
process.on("exit", () => {
  for (const sink of [...unflushed]) sink.flush();
});
