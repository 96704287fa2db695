import type { ScalarTag } from "yaml";

// How kubectl reads a plain (unquoted) YAML scalar. kubectl turns YAML into JSON with sigs.k8s.io/yaml,
// whose resolver is go-yaml v2's (goyaml.v2/resolve.go): YAML 1.1 booleans (y, yes, on, off, ...),
// Go's integer syntax after dropping every `_` (0x1F, 0o17, 017, 0b11, 1_000), and timestamps kept
// as strings. The yaml package's own YAML 1.1 schema differs in places (it reads 1:20 as 80 and
// 2001-12-14 as a Date, and writes 0o10 unquoted, which kubectl reads as 8), so these tags replace it.

const TRUE = new Set(["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"]);
const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ...[".nan", ".NaN", ".NAN"].map((s) => [s, Number.NaN] as const),
  ...[".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"].map((s) => [s, Number.POSITIVE_INFINITY] as const),
  ...["-.inf", "-.Inf", "-.INF"].map((s) => [s, Number.NEGATIVE_INFINITY] as const),
]);

/** strconv.ParseInt(s, 0, 64) and ParseUint's syntax: a sign, then a 0x/0o/0b prefix, a leading-0 octal, or decimal. */
const GO_INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/;
/** goyaml.v2's yamlStyleFloat. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** strconv.ParseFloat for a scalar starting with `.` (goyaml.v2 tries nothing else there). */
const GO_DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;

function goInt(s: string): number {
  const sign = s.startsWith("-") ? -1 : 1;
  const digits = s.replace(/^[-+]/, "");
  const prefix = digits.slice(0, 2).toLowerCase();
  if (prefix === "0x" || prefix === "0b" || prefix === "0o") return sign * Number(`0${prefix[1]}${digits.slice(2)}`);
  if (digits.length > 1 && digits.startsWith("0")) return sign * Number.parseInt(digits.slice(1), 8);
  return sign * Number(digits);
}

/** What kubectl makes of a plain scalar that starts with a digit, a sign or a dot: a number, or the string itself. */
export function resolveGoNumber(s: string): number | string {
  const special = SPECIAL_FLOATS.get(s);
  if (special !== undefined) return special;
  if (s.startsWith(".")) return GO_DOT_FLOAT.test(s) ? Number(s) : s;
  const plain = s.replaceAll("_", "");
  if (GO_INT.test(plain)) return goInt(plain);
  if (GO_FLOAT.test(plain)) return Number(plain);
  return s;
}

const BOOL: ScalarTag = {
  identify: (v) => typeof v === "boolean",
  default: true,
  tag: "tag:yaml.org,2002:bool",
  test: /^(?:[yY]|[yY]es|YES|[tT]rue|TRUE|[oO]n|ON|[nN]|[nN]o|NO|[fF]alse|FALSE|[oO]ff|OFF)$/,
  resolve: (s) => TRUE.has(s),
  stringify: ({ value }) => (value ? "true" : "false"),
};

const NULL: ScalarTag = {
  identify: (v) => v === null || v === undefined,
  default: true,
  tag: "tag:yaml.org,2002:null",
  test: /^(?:~|null|Null|NULL)?$/,
  resolve: () => null,
  stringify: () => "null",
};

/** Every plain scalar starting with a digit, `+`, `-` or `.`: resolveGoNumber decides (and may keep the string). */
const NUMBER: ScalarTag = {
  identify: (v) => typeof v === "number",
  default: true,
  tag: "tag:yaml.org,2002:float",
  test: /^[-+.0-9]/,
  resolve: resolveGoNumber,
  stringify: ({ value }) => String(value),
};

/** The scalar tags that decide how kubectl reads a plain scalar; a string matching any of them must be quoted. */
export const GO_YAML_SCALAR_TAGS: readonly ScalarTag[] = [NULL, BOOL, NUMBER];
