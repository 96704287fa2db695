import { closestName } from "../validation/suggest.js";

// Variable substitution in KMM templates (image names, files to sign): `${NAME}` and `$NAME`, with
// NAME made of `[A-Za-z0-9_]+`, and `$$` for a literal `$`. A `$` followed by anything else is kept
// as is, as upstream's envsubst does. Unlike upstream, which silently substitutes "" for a variable
// it does not know, an unknown variable is an error: an image named `quay.io/x:` is never intended.

export type SubstituteResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME = /^[A-Za-z0-9_]+$/;

function hint(name: string, form: "braced" | "bare", known: readonly string[]): string {
  // `$KERNEL_VERSION_rt` reads as one name; braces end a name where the user meant it to end.
  const prefix = form === "bare" ? known.filter((k) => name.startsWith(k)).sort((a, b) => b.length - a.length)[0] : undefined;
  if (prefix !== undefined) return ` (write \${${prefix}}${name.slice(prefix.length)} if the name ends after ${prefix})`;
  const suggestion = closestName(name, known);
  return suggestion ? ` (did you mean ${suggestion}?)` : "";
}

function unknownVariable(name: string, form: "braced" | "bare", known: readonly string[]): string {
  const list = known.length ? `known variables: ${known.join(", ")}` : "no variables are known here";
  return `unknown variable ${name}${hint(name, form, known)}; ${list}`;
}

/**
 * Replaces the variables in `template` with their values from `vars`. Every problem is reported
 * (unknown variables, malformed `${...}`), joined with "; ", and no value is returned then.
 */
export function substituteVariables(template: string, vars: Readonly<Record<string, string>>): SubstituteResult {
  const known = Object.keys(vars);
  const lookup = (name: string): string | undefined => (Object.hasOwn(vars, name) ? vars[name] : undefined);
  const errors: string[] = [];
  const reported = new Set<string>();
  const unknown = (name: string, form: "braced" | "bare") => {
    if (reported.has(name)) return;
    reported.add(name);
    errors.push(unknownVariable(name, form, known));
  };

  let out = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = template[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const close = template.indexOf("}", i + 2);
      if (close < 0) {
        errors.push(`unterminated "\${" at offset ${i}: close it with "}"`);
        break;
      }
      const name = template.slice(i + 2, close);
      if (!NAME.test(name)) {
        errors.push(
          name === ""
            ? `empty variable reference "\${}" at offset ${i}`
            : `unsupported variable reference "\${${name}}" at offset ${i}: only \${NAME} and $NAME are supported, NAME being letters, digits and '_'`,
        );
      } else {
        const value = lookup(name);
        if (value === undefined) unknown(name, "braced");
        else out += value;
      }
      i = close + 1;
    } else if (next !== undefined && NAME_CHAR.test(next)) {
      let end = i + 1;
      while (end < template.length && NAME_CHAR.test(template[end]!)) end++;
      const name = template.slice(i + 1, end);
      const value = lookup(name);
      if (value === undefined) unknown(name, "bare");
      else out += value;
      i = end;
    } else {
      out += "$";
      i++;
    }
  }
  return errors.length ? { ok: false, error: errors.join("; ") } : { ok: true, value: out };
}
