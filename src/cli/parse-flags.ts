import { type ParseArgsConfig, parseArgs } from "node:util";

export type Flags = Record<string, string | boolean | string[] | undefined>;

export type ParsedFlags = { ok: true; values: Flags; positionals: string[] } | { ok: false; error: string };

/** node:util's parseArgs, strict (unknown flags are errors), answering its error instead of throwing it. */
export function parseFlags(argv: readonly string[], options: NonNullable<ParseArgsConfig["options"]>, allowPositionals = false): ParsedFlags {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    return { ok: true, values: values as Flags, positionals };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
