import { isObject } from "../util/is-object.js";

/** One step from a value to one of its parts: a field name, a list index or a map key. */
export type PathSegment =
  | { readonly kind: "field"; readonly name: string }
  | { readonly kind: "index"; readonly index: number }
  | { readonly kind: "key"; readonly key: string };

/**
 * A path to a field from the object root, rendered as Kubernetes does: `spec.kernelMappings[2].regexp`.
 * The caller builds the path and the validator extends it, so a validator never knows where it sits.
 * The path keeps its segments, not only its rendering, so the value it names can be found again
 * (`valueAt`) even through list items and keys holding dots.
 */
export class FieldPath {
  private constructor(
    readonly segments: readonly PathSegment[],
    private readonly rendered: string,
  ) {}

  static root(...names: string[]): FieldPath {
    return new FieldPath([], "").child(...names);
  }

  child(...names: string[]): FieldPath {
    const added = names.filter(Boolean);
    if (added.length === 0) return this;
    return new FieldPath(
      [...this.segments, ...added.map((name): PathSegment => ({ kind: "field", name }))],
      [this.rendered, ...added].filter(Boolean).join("."),
    );
  }

  index(i: number): FieldPath {
    return new FieldPath([...this.segments, { kind: "index", index: i }], `${this.rendered}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath([...this.segments, { kind: "key", key: k }], `${this.rendered}[${k}]`);
  }

  toString(): string {
    return this.rendered;
  }
}

/** The value `path` names inside `root`, or undefined where the object has no such part. */
export function valueAt(root: unknown, path: FieldPath): unknown {
  let v = root;
  for (const s of path.segments) {
    if (s.kind === "index") v = Array.isArray(v) ? v[s.index] : undefined;
    else {
      const name = s.kind === "field" ? s.name : s.key;
      v = isObject(v) && Object.hasOwn(v, name) ? v[name] : undefined;
    }
  }
  return v;
}
