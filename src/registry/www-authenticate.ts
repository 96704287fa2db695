// Pure parsing of WWW-Authenticate (RFC 9110 §11.6.1), as registries send it on 401:
//   WWW-Authenticate = #challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
// A comma separates both parameters and challenges; what follows it decides which: `name=` continues
// the parameters, a bare token starts the next challenge.

export interface Challenge {
  /** Lowercased: "bearer", "basic", … */
  readonly scheme: string;
  /** Parameter names lowercased, values unquoted. The first occurrence of a name wins. */
  readonly params: Readonly<Record<string, string>>;
  /** The token68 form (`Negotiate abc==`), when the challenge has one instead of parameters. */
  readonly token68?: string;
}

/** How the client authenticates to a registry, decided from its challenge. */
export type AuthScheme =
  | { readonly scheme: "none" }
  | { readonly scheme: "basic"; readonly realm?: string }
  | { readonly scheme: "bearer"; readonly realm: string; readonly service?: string; readonly scope?: string; readonly error?: string };

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Every challenge in the header (or in several header lines); malformed pieces are skipped, never thrown. */
export function parseWwwAuthenticate(header: string | readonly string[] | undefined | null): Challenge[] {
  if (header === undefined || header === null) return [];
  if (typeof header !== "string") return header.flatMap((h) => parseWwwAuthenticate(h));
  const s = header;
  const out: Challenge[] = [];
  let i = 0;

  const skipWs = () => {
    while (i < s.length && (s[i] === " " || s[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    // s[i] === '"'
    i++;
    let v = "";
    while (i < s.length && s[i] !== '"') {
      if (s[i] === "\\" && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++; // closing quote (or end of input for an unterminated string)
    return v;
  };
  /** Skips to just after the next comma that is outside a quoted string. */
  const skipPastComma = () => {
    while (i < s.length && s[i] !== ",") {
      if (s[i] === '"') readQuoted();
      else i++;
    }
    if (i < s.length) i++;
  };

  while (i < s.length) {
    while (i < s.length && (s[i] === "," || s[i] === " " || s[i] === "\t")) i++;
    if (i >= s.length) break;
    const scheme = readToken();
    if (scheme === "") {
      skipPastComma();
      continue;
    }
    const params: Record<string, string> = {};
    let token68: string | undefined;
    skipWs();

    // token68: a run of token68 characters and '=' padding, then the end or a comma (`realm=` followed by a value is a parameter).
    const t68 = /^([A-Za-z0-9\-._~+/]+=*)[ \t]*(?:,|$)/.exec(s.slice(i));
    if (t68) {
      token68 = t68[1]!;
      i += token68.length;
    }

    while (token68 === undefined && i < s.length) {
      skipWs();
      const save = i;
      const name = readToken();
      skipWs();
      if (name === "" || s[i] !== "=") {
        // Not a parameter: either the start of the next challenge or garbage.
        i = save;
        break;
      }
      i++; // '='
      skipWs();
      const value = s[i] === '"' ? readQuoted() : readToken();
      const key = name.toLowerCase();
      if (!Object.hasOwn(params, key) && key !== "__proto__") params[key] = value;
      skipWs();
      if (i >= s.length) break;
      if (s[i] !== ",") {
        skipPastComma();
      } else {
        i++;
      }
      // Look ahead: `name =` is another parameter of this challenge; anything else ends it.
      let j = i;
      while (j < s.length && (s[j] === " " || s[j] === "\t" || s[j] === ",")) j++;
      let k = j;
      while (k < s.length && TCHAR.test(s[k]!)) k++;
      let m = k;
      while (m < s.length && (s[m] === " " || s[m] === "\t")) m++;
      if (k === j || s[m] !== "=") break;
      i = j;
    }
    out.push({ scheme: scheme.toLowerCase(), params, ...(token68 !== undefined && { token68 }) });
  }
  return out;
}

/**
 * The scheme the client uses: Bearer (with a realm) before Basic, as docker and go-containerregistry do.
 * Undefined when no challenge is one we can answer (e.g. only Negotiate).
 */
export function pickAuthScheme(challenges: readonly Challenge[]): AuthScheme | undefined {
  const bearer = challenges.find((c) => c.scheme === "bearer" && c.params["realm"]);
  if (bearer) {
    const p = bearer.params;
    return {
      scheme: "bearer",
      realm: p["realm"]!,
      ...(p["service"] !== undefined && { service: p["service"] }),
      ...(p["scope"] !== undefined && { scope: p["scope"] }),
      ...(p["error"] !== undefined && { error: p["error"] }),
    };
  }
  const basic = challenges.find((c) => c.scheme === "basic");
  if (basic) return { scheme: "basic", ...(basic.params["realm"] !== undefined && { realm: basic.params["realm"] }) };
  return undefined;
}
