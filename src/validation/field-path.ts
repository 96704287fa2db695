/**
 * A path to a field from the object root, rendered as Kubernetes does: `spec.kernelMappings[2].regexp`.
 * The caller builds the path and the validator extends it, so a validator never knows where it sits.
 */
export class FieldPath {
  private constructor(private readonly rendered: string) {}

  static root(...names: string[]): FieldPath {
    return new FieldPath(names.join("."));
  }

  child(...names: string[]): FieldPath {
    return new FieldPath([this.rendered, ...names].filter(Boolean).join("."));
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.rendered}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.rendered}[${k}]`);
  }

  toString(): string {
    return this.rendered;
  }
}
