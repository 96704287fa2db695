/**
 * Deep equality of JSON values (what a request or the API server hands us), without recursion: the
 * API server decodes JSON nested up to 10000 deep, past where node:util's isDeepStrictEqual
 * overflows the stack. Arrays equal arrays item by item; objects equal objects with the same own keys
 * (an `undefined` value still counts as a key, as for isDeepStrictEqual).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const pending: [unknown, unknown][] = [[a, b]];
  for (let pair = pending.pop(); pair; pair = pending.pop()) {
    const [x, y] = pair;
    if (Object.is(x, y)) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const xs = x as Record<string, unknown>;
    const ys = y as Record<string, unknown>;
    const keys = Object.keys(xs);
    if (keys.length !== Object.keys(ys).length) return false;
    for (const k of keys) {
      if (!Object.hasOwn(ys, k)) return false;
      pending.push([xs[k], ys[k]]);
    }
  }
  return true;
}
