// Text from elsewhere (the cluster, a registry) printed to a terminal: a control sequence in it must be
// shown, not obeyed. ESC (\x1b) starts colour changes, cursor moves, title and clipboard writes; the C1
// range (\x9b is a one-byte CSI on some terminals) and bidirectional controls (embeddings, overrides,
// isolates, and the marks LRM U+200E, RLM U+200F and ALM U+061C) can hide or reorder text.

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw in strings (it escapes C0 itself; outside strings it writes only newlines and spaces). */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, "0");

/** `s` with every control character written as an escape (`\n`, `\x1b`, `\u202e`): one line, printed as is. */
export function escapeForTerminal(s: string): string {
  return s.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/**
 * JSON.stringify(value, null, 2), with the characters it leaves raw (DEL, C1, bidirectional controls)
 * written as `\uXXXX` escapes too: the same document once parsed, and harmless on a terminal.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}
