import type { FieldError } from "../validation/field-error.js";

/** What a validator says of one request: errors deny it, warnings are shown to the user either way. */
export interface Verdict {
  readonly errors: readonly FieldError[];
  readonly warnings: readonly string[];
}

/** One method per operation, as controller-runtime's CustomValidator. */
export interface Validator<T> {
  validateCreate(obj: T): Verdict;
  validateUpdate(oldObj: T, newObj: T): Verdict;
  validateDelete(obj: T): Verdict;
}

/** Pure `obj → obj`: the HTTP layer diffs before and after into a JSON patch. */
export type Defaulter<T> = (obj: Readonly<T>) => T;

export const ALLOW: Verdict = { errors: [], warnings: [] };
