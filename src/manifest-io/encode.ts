import { type ScalarTag, type Tags, stringify } from "yaml";
import { GO_YAML_SCALAR_TAGS } from "./go-yaml-scalars.js";

// YAML that kubectl reads back as exactly this value. kubectl reads YAML 1.1 (go-yaml v2), where an
// unquoted no, on, y, 0o10 or 1_000 is not a string, so every string that go-yaml v2 or YAML 1.1
// would read as something else is quoted, keys included (`"on": x`). Long strings are not folded, and
// an object referenced twice is written twice rather than as an anchor and alias.

/** go-yaml v2 reads a plain `<<` key as a merge key: written quoted. */
const MERGE_KEY: ScalarTag = { identify: () => false, default: true, tag: "tag:yaml.org,2002:merge", test: /^<<$/, resolve: (s) => s };
const QUOTE_WHEN_MATCHED = [...GO_YAML_SCALAR_TAGS, MERGE_KEY];
/** The yaml package's YAML 1.1 schema would write the string "<<" as a merge key; it is only ever a string here. */
const withoutMergeKeys = (tags: Tags): Tags => tags.filter((t) => typeof t === "string" || t.tag !== MERGE_KEY.tag);

/** One object as a YAML document (no `---`; join documents with `---\n`). */
export function encodeYaml(value: unknown): string {
  return stringify(value, { version: "1.1", compat: QUOTE_WHEN_MATCHED, lineWidth: 0, aliasDuplicateObjects: false, customTags: withoutMergeKeys });
}
