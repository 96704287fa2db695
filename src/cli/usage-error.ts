/** A mistake in how a command was called: exit 2, with the usage of the command it was made in. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The usage text printed after the message. */
    readonly usage: string,
  ) {
    super(message);
  }
}

/** `--help` or `-h` anywhere among a command's arguments (before a `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h");
}
