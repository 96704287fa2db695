import assert from "node:assert/strict";
import { RegistryError } from "../../src/registry/index.js";

/** For `assert.rejects(p, isRegistryError("NotFound", /manifest unknown/, "MANIFEST_UNKNOWN"))`: the kind, and the message and registry code when given. */
export function isRegistryError(kind: RegistryError["kind"], message?: RegExp, code?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof RegistryError, `not a RegistryError: ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (message) assert.match(e.message, message);
    if (code) assert.ok(e.codes.includes(code), `codes ${JSON.stringify(e.codes)}`);
    return true;
  };
}
