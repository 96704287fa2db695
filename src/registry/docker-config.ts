// Registry credentials from a docker config: the content of a kubernetes.io/dockerconfigjson Secret
// (`{"auths": {...}}`), a legacy kubernetes.io/dockercfg Secret (the same entries without `auths`), or
// ~/.docker/config.json. Keys are matched like the kubelet's keyring: host (with `*.` wildcards),
// exact port, and an optional path prefix; the most specific key wins.
import { readFile } from "node:fs/promises";
import { isDockerHub } from "./registry-host.js";

export type Credentials =
  | { readonly username: string; readonly password: string }
  /** An OAuth2 refresh token (docker's `identitytoken`), exchanged at the token realm. */
  | { readonly identityToken: string; readonly username?: string };

/** Credentials for an image's registry (as written in the reference, e.g. `docker.io`) and repository. */
export type CredentialLookup = (registry: string, repository: string) => Credentials | undefined;

/** A docker config that cannot be used. The message names the key, never a secret value. */
export class DockerConfigError extends Error {
  override readonly name = "DockerConfigError";
}

interface Entry {
  readonly key: string;
  /** Lowercased host, possibly with `*` labels. */
  readonly host: string;
  /** "" when the key has no port. */
  readonly port: string;
  /** Path prefix without leading or trailing "/" ("" for none). */
  readonly path: string;
  readonly credentials: Credentials;
}

/** Splits a config key (`https://index.docker.io/v1/`, `quay.io/org`, `localhost:5000`, `*.example.com`) into host, port and path. */
export function parseConfigKey(key: string): { host: string; port: string; path: string } {
  let rest = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = rest.indexOf("/");
  let path = slash >= 0 ? rest.slice(slash + 1) : "";
  rest = slash >= 0 ? rest.slice(0, slash) : rest;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(rest);
  let host = (m?.[1] ?? rest).toLowerCase();
  const port = m?.[2] ?? "";
  path = path.replace(/^\/+|\/+$/g, "").toLowerCase();
  // The docker CLI writes API versions into keys (`https://index.docker.io/v1/`): not a repository prefix.
  if (/^v[12]$/.test(path)) path = "";
  if (isDockerHub(host) && port === "") host = "docker.io";
  return { host, port, path };
}

function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.includes("*")) return pattern === host;
  const p = pattern.split(".");
  const h = host.split(".");
  if (p.length !== h.length) return false;
  return p.every((label, i) => new RegExp(`^${label.split("*").map(escapeRegExp).join("[^.]*")}$`).test(h[i]!));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function decodeAuth(key: string, auth: string): { username: string; password: string } {
  const text = /^[A-Za-z0-9+/]*={0,2}$/.test(auth) ? Buffer.from(auth, "base64").toString("utf8") : "";
  const colon = text.indexOf(":");
  if (colon <= 0) throw new DockerConfigError(`auths[${JSON.stringify(key)}].auth: Invalid: must be base64 of "username:password"`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function entryCredentials(key: string, raw: unknown): Credentials | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new DockerConfigError(`auths[${JSON.stringify(key)}]: Invalid: must be an object`);
  }
  const e = raw as Record<string, unknown>;
  const str = (name: string): string | undefined => {
    const v = e[name];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new DockerConfigError(`auths[${JSON.stringify(key)}].${name}: Invalid: must be a string`);
    return v;
  };
  const auth = str("auth");
  const fromAuth = auth !== undefined ? decodeAuth(key, auth) : undefined;
  const username = str("username") ?? fromAuth?.username;
  const identityToken = str("identitytoken");
  if (identityToken !== undefined) return { identityToken, ...(username !== undefined && { username }) };
  const password = str("password") ?? fromAuth?.password;
  if (username !== undefined && password !== undefined) return { username, password };
  // Entries like `{}` are what `docker login` leaves behind with a credential store: nothing to use.
  return undefined;
}

function parseEntries(config: unknown): Entry[] {
  let obj = config;
  if (typeof obj === "string" || Buffer.isBuffer(obj)) {
    try {
      obj = JSON.parse(obj.toString());
    } catch {
      throw new DockerConfigError("Invalid: not JSON (want a docker config: {\"auths\": {\"registry\": {\"auth\": \"…\"}}})");
    }
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new DockerConfigError("Invalid: must be a JSON object");
  const top = obj as Record<string, unknown>;
  // kubernetes.io/dockerconfigjson and config.json wrap the entries in "auths"; kubernetes.io/dockercfg does not.
  const auths = "auths" in top ? top["auths"] : top;
  if (auths === undefined || auths === null) return [];
  if (typeof auths !== "object" || Array.isArray(auths)) throw new DockerConfigError("auths: Invalid: must be an object");
  const entries: Entry[] = [];
  for (const [key, raw] of Object.entries(auths as Record<string, unknown>)) {
    // Other top-level keys of config.json (credsStore, credHelpers, …) are not registries.
    if (auths === top && (raw === null || typeof raw !== "object")) continue;
    const credentials = entryCredentials(key, raw);
    if (credentials) entries.push({ key, ...parseConfigKey(key), credentials });
  }
  return entries;
}

/** Higher is more specific: a longer path prefix first, then an exact host over a wildcard. */
function specificity(e: Entry): number {
  return (e.path === "" ? 0 : e.path.split("/").length) * 4 + (e.host.includes("*") ? 0 : 2) + (e.port !== "" ? 1 : 0);
}

/**
 * A lookup over the entries of a docker config (JSON text, a Buffer or the parsed object).
 * Throws DockerConfigError, naming the offending key but no secret, when the config is malformed.
 */
export function credentialsFromDockerConfig(config: unknown): CredentialLookup {
  const entries = parseEntries(config).sort((a, b) => specificity(b) - specificity(a));
  return (registry, repository) => {
    const target = parseConfigKey(registry);
    const repo = repository.replace(/^\/+|\/+$/g, "");
    const hit = entries.find(
      (e) => hostMatches(e.host, target.host) && e.port === target.port && (e.path === "" || repo === e.path || repo.startsWith(`${e.path}/`)),
    );
    return hit?.credentials;
  };
}

/** Reads a docker config file (e.g. ~/.docker/config.json, or a mounted pull secret's .dockerconfigjson). */
export async function credentialsFromDockerConfigFile(path: string): Promise<CredentialLookup> {
  const text = await readFile(path, "utf8");
  try {
    return credentialsFromDockerConfig(text);
  } catch (err) {
    if (err instanceof DockerConfigError) throw new DockerConfigError(`${path}: ${err.message}`);
    throw err;
  }
}
