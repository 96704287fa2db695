// Durations as Go and kubectl write them (`90s`, `10m`, `1h30m`, `500ms`), for flags like --timeout.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined for anything that is not a positive duration of ms, s, m and h parts. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(amount) * UNIT_MS[unit!]!;
  return ms > 0 ? Math.round(ms) : undefined;
}
