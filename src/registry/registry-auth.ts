// Authentication negotiated from the registry's challenge (distribution's token spec):
// GET /v2/ once per registry; 200 → anonymous, Basic → credentials on each request, Bearer → a token
// per repository scope from the realm, cached until shortly before it expires.
import type { Clock } from "../util/clock.js";
import type { CredentialLookup, Credentials } from "./docker-config.js";
import { RegistryError, classifyResponse, parseErrorBody, redactUrl, type RequestContext } from "./registry-error.js";
import type { Transport } from "./transport.js";
import { parseWwwAuthenticate, pickAuthScheme, type AuthScheme } from "./www-authenticate.js";

/** Where a registry's API is served and how to talk to it. */
export interface Endpoint {
  /** As in the reference, e.g. `docker.io`: the key for credentials and messages. */
  readonly registry: string;
  /** `https://registry-1.docker.io` */
  readonly origin: string;
  readonly verify: boolean;
}

/**
 * What the auth caches are keyed by: a challenge learned without verifying the certificate must not
 * steer requests that do verify (they would send credentials to a realm anyone could have named).
 */
const endpointKey = (ep: Endpoint): string => `${ep.origin} ${ep.verify ? "verified" : "unverified"}`;

/**
 * What a request needs to do in a registry: pull from `repository`, or push to it too; a cross-repository
 * mount also pulls from `mountFrom` (a repository of the same registry). A bearer token is asked for
 * exactly these scopes; credentials are those for `repository`.
 */
export interface Access {
  readonly repository: string;
  /** @default false (pull only) */
  readonly push?: boolean;
  readonly mountFrom?: string;
}

/** The token scopes of an access (distribution's token spec): `repository:<name>:pull[,push]`. */
export function accessScopes(access: Access): string[] {
  const own = `repository:${access.repository}:${access.push ? "pull,push" : "pull"}`;
  return access.mountFrom !== undefined && access.mountFrom !== access.repository ? [own, `repository:${access.mountFrom}:pull`] : [own];
}

const toAccess = (a: string | Access): Access => (typeof a === "string" ? { repository: a } : a);

/** What to send with a request to the registry. */
export interface Authorization {
  readonly scheme: AuthScheme["scheme"];
  /** The Authorization header value, if any. */
  readonly header?: string;
  /** Whether credentials were used (sent directly, or to obtain the token). */
  readonly credentialsSent: boolean;
}

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** Tokens are dropped this long before they expire, so that a request never carries one that expires in flight. */
const EXPIRY_MARGIN_MS = 10_000;
/** The distribution token spec's default and minimum lifetime. */
const DEFAULT_TOKEN_SECONDS = 60;
export const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const PING_LIMIT_BYTES = 64 * 1024;

export class RegistryAuth {
  private readonly schemes = new Map<string, Promise<AuthScheme>>();
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: Transport,
    private readonly credentials: CredentialLookup | undefined,
    private readonly clock: Clock,
  ) {}

  /** The scheme of a registry, from the cached answer to `GET /v2/` (asked once; a failure is not cached). */
  private scheme(ep: Endpoint, image: string, signal: AbortSignal | undefined): Promise<AuthScheme> {
    const key = endpointKey(ep);
    let p = this.schemes.get(key);
    if (!p) {
      p = this.ping(ep, image, signal);
      this.schemes.set(key, p);
      p.catch(() => this.schemes.delete(key));
    }
    return p;
  }

  private async ping(ep: Endpoint, image: string, signal: AbortSignal | undefined): Promise<AuthScheme> {
    const ctx: RequestContext = { image, registry: ep.registry, repository: "", object: "ping", credentialsSent: false };
    const url = new URL("/v2/", ep.origin);
    const reply = await this.transport.fetchSmall(url, { verify: ep.verify, ctx, ...(signal && { signal }) }, PING_LIMIT_BYTES, () => tooLarge(image, "/v2/"));
    if (reply.status >= 200 && reply.status < 300) return { scheme: "none" };
    if (reply.status === 401) {
      const scheme = pickAuthScheme(parseWwwAuthenticate(reply.headers["www-authenticate"]));
      if (scheme) return scheme;
      throw new RegistryError({
        kind: "Unsupported",
        status: 401,
        message: `${image}: ${ep.registry} asks for an authentication scheme other than Basic or Bearer (WWW-Authenticate: ${JSON.stringify(String(reply.headers["www-authenticate"] ?? "")).slice(0, 200)})`,
      });
    }
    throw classifyResponse(reply.status, parseErrorBody(reply.bytes.toString("utf8")), ctx);
  }

  /**
   * Replaces the cached scheme of a registry with the one from a 401's challenge, and drops its cached
   * token for `repository` so that the next `authorize` fetches a new one.
   */
  learn(ep: Endpoint, access: string | Access, scheme: AuthScheme): void {
    this.schemes.set(endpointKey(ep), Promise.resolve(scheme));
    if (scheme.scheme === "bearer") this.tokens.delete(tokenKey(ep, scheme, accessScopes(toAccess(access))));
  }

  /** The authorization for `access` (a repository name: pull only). */
  async authorize(ep: Endpoint, access: string | Access, image: string, signal: AbortSignal | undefined): Promise<Authorization> {
    const { repository } = toAccess(access);
    const scheme = await this.scheme(ep, image, signal);
    const creds = this.credentials?.(ep.registry, repository);
    switch (scheme.scheme) {
      case "none":
        return { scheme: "none", credentialsSent: false };
      case "basic":
        if (creds && "password" in creds) return { scheme: "basic", header: basicHeader(creds), credentialsSent: true };
        return { scheme: "basic", credentialsSent: false };
      case "bearer": {
        const token = await this.token(ep, scheme, toAccess(access), creds, image, signal);
        return { scheme: "bearer", header: `Bearer ${token}`, credentialsSent: creds !== undefined };
      }
    }
  }

  private async token(
    ep: Endpoint,
    scheme: Extract<AuthScheme, { scheme: "bearer" }>,
    access: Access,
    creds: Credentials | undefined,
    image: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const scopes = accessScopes(access);
    const key = tokenKey(ep, scheme, scopes);
    const cached = this.tokens.get(key);
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt > this.clock.now()) return t.token;
      if (this.tokens.get(key) === cached) this.tokens.delete(key);
    }
    let p = this.tokens.get(key);
    if (!p) {
      p = this.fetchToken(ep, scheme, scopes, access, creds, image, signal);
      this.tokens.set(key, p);
      p.catch(() => {
        if (this.tokens.get(key) === p) this.tokens.delete(key);
      });
    }
    return (await p).token;
  }

  private async fetchToken(
    ep: Endpoint,
    scheme: Extract<AuthScheme, { scheme: "bearer" }>,
    scopes: readonly string[],
    access: Access,
    creds: Credentials | undefined,
    image: string,
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    const ctx: RequestContext = { image, registry: ep.registry, repository: access.repository, object: "token", credentialsSent: creds !== undefined, ...(access.push && { action: "push" as const }) };
    let realm: URL;
    try {
      realm = new URL(scheme.realm);
    } catch {
      throw new RegistryError({ kind: "Unsupported", message: `${image}: ${ep.registry} names a token realm that is not a URL (${JSON.stringify(scheme.realm.slice(0, 200))})` });
    }
    if (realm.protocol !== "https:" && realm.protocol !== "http:") {
      throw new RegistryError({ kind: "Unsupported", message: `${image}: ${ep.registry} names a token realm that is not HTTP(S): ${redactUrl(realm)}` });
    }
    if (creds && realm.protocol === "http:" && ep.origin.startsWith("https:")) {
      throw new RegistryError({
        kind: "Unsupported",
        message: `${image}: ${ep.registry} is served over HTTPS but names a plain-HTTP token realm (${redactUrl(realm)}); refusing to send credentials there`,
      });
    }
    const started = this.clock.now();
    const verify = ep.verify;
    let reply;
    if (creds && "identityToken" in creds) {
      // docker's OAuth2 flow for identity tokens: a refresh_token grant posted to the realm.
      // OAuth2 separates scopes with spaces.
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: creds.identityToken, client_id: "kmm-preflight", scope: scopes.join(" ") });
      if (scheme.service !== undefined) form.set("service", scheme.service);
      reply = await this.transport.fetchSmall(
        realm,
        { method: "POST", body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, verify, ctx, ...(signal && { signal }) },
        MAX_TOKEN_RESPONSE_BYTES,
        () => tooLarge(image, "token response"),
      );
    } else {
      const url = new URL(realm);
      if (scheme.service !== undefined) url.searchParams.set("service", scheme.service);
      for (const scope of scopes) url.searchParams.append("scope", scope);
      if (creds) url.searchParams.set("account", creds.username);
      reply = await this.transport.fetchSmall(
        url,
        { verify, ctx, ...(creds && { authorization: { origin: url.origin, header: basicHeader(creds) } }), ...(signal && { signal }) },
        MAX_TOKEN_RESPONSE_BYTES,
        () => tooLarge(image, "token response"),
      );
    }
    if (reply.status < 200 || reply.status >= 300) throw classifyResponse(reply.status, parseErrorBody(reply.bytes.toString("utf8")), ctx);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(reply.bytes.toString("utf8")) as typeof body;
    } catch {
      throw new RegistryError({ kind: "Corrupt", status: reply.status, message: `${image}: the token server of ${ep.registry} answered with something that is not JSON` });
    }
    const token = typeof body?.token === "string" && body.token !== "" ? body.token : typeof body?.access_token === "string" ? body.access_token : "";
    if (token === "") throw new RegistryError({ kind: "Corrupt", status: reply.status, message: `${image}: the token server of ${ep.registry} answered without a token` });
    const seconds = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: started + Math.max(seconds * 1000 - EXPIRY_MARGIN_MS, (seconds * 1000) / 2) };
  }
}

function tokenKey(ep: Endpoint, scheme: Extract<AuthScheme, { scheme: "bearer" }>, scopes: readonly string[]): string {
  return JSON.stringify([endpointKey(ep), scheme.realm, scheme.service ?? "", ...scopes]);
}

function basicHeader(c: { readonly username: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

function tooLarge(image: string, what: string): RegistryError {
  return new RegistryError({ kind: "Unsupported", message: `${image}: the registry's ${what} is larger than the client accepts` });
}
