// A token server for distribution's token auth (docs/spec/auth/token.md), on loopback: checks Basic
// credentials, grants each requested repository scope only the actions the user's policy allows, and
// signs an RS256 JWT whose x5c header carries the signing certificate, which chains to the CA the
// registry trusts (auth.token.rootcertbundle).
import { createSign, randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateCertificates } from "../../src/certs/generate.js";

/** What a user (or anonymous, with no username) may do. Repository patterns: exact names, `prefix/*`, or `*`. */
export interface TokenUser {
  readonly username: string;
  readonly password: string;
  /** @default ["*"] */
  readonly pull?: readonly string[];
  /** @default ["*"] */
  readonly push?: readonly string[];
  /** An OAuth2 refresh token (docker's `identitytoken`) that also authenticates this user, by POST. */
  readonly identityToken?: string;
}

export interface TokenServerOptions {
  readonly service: string;
  readonly issuer?: string;
  readonly users: readonly TokenUser[];
  /** Repositories anyone may pull without credentials. @default [] (anonymous tokens grant nothing) */
  readonly anonymousPull?: readonly string[];
  /** Lifetime of issued tokens. @default 300 */
  readonly expiresInSeconds?: number;
  /** Which field(s) carry the token: distribution's `token`, OAuth2's `access_token`, or both. @default "both" */
  readonly tokenField?: "token" | "access_token" | "both";
}

export interface TokenRequest {
  /** Undefined for anonymous requests. */
  readonly username?: string;
  readonly scopes: readonly string[];
  /** What was granted, `repository:<name>:<actions>`, one per scope. */
  readonly granted: readonly string[];
  readonly status: number;
}

export interface RunningTokenServer {
  /** `http://127.0.0.1:PORT/token` */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the CA the registry must trust (rootcertbundle). */
  readonly rootCertPem: string;
  /** Every request, oldest first. */
  readonly requests: TokenRequest[];
  close(): Promise<void>;
}

export async function startTokenServer(opts: TokenServerOptions): Promise<RunningTokenServer> {
  const issuer = opts.issuer ?? "kmm-preflight-test-issuer";
  const certs = generateCertificates({ serviceName: "registry-token-signer", namespace: "test" });
  const x5c = [pemToDerBase64(certs.tlsCertPem)];
  const requests: TokenRequest[] = [];

  const server = http.createServer((req, res) => {
    if (req.method === "POST") {
      // The OAuth2 form: grant_type=refresh_token&refresh_token=…&service=…&scope=…
      let form = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (form = (form + c).slice(0, 64 * 1024)));
      req.on("end", () => handle(req, res, new URLSearchParams(form)));
      return;
    }
    handle(req, res, undefined);
  });

  function handle(req: http.IncomingMessage, res: http.ServerResponse, form: URLSearchParams | undefined): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const params = form ?? url.searchParams;
    const send = (status: number, body: unknown, record: Omit<TokenRequest, "status">) => {
      requests.push({ ...record, status });
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
    };
    const scopes = params.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
    if (url.pathname !== "/token") {
      send(404, { errors: [{ code: "NOT_FOUND", message: "not found" }] }, { scopes, granted: [] });
      return;
    }
    let user: TokenUser | undefined;
    const authz = req.headers.authorization;
    if (form) {
      const refresh = form.get("refresh_token") ?? "";
      user = form.get("grant_type") === "refresh_token" ? opts.users.find((u) => u.identityToken !== undefined && safeEqual(u.identityToken, refresh)) : undefined;
      if (!user) {
        send(401, { errors: [{ code: "UNAUTHORIZED", message: "invalid refresh token" }] }, { scopes, granted: [] });
        return;
      }
    } else if (authz !== undefined) {
      const m = /^Basic\s+(\S+)$/i.exec(authz);
      const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
      const colon = decoded.indexOf(":");
      const [name, pass] = colon > 0 ? [decoded.slice(0, colon), decoded.slice(colon + 1)] : ["", ""];
      user = opts.users.find((u) => u.username === name && safeEqual(u.password, pass));
      if (!user) {
        res.setHeader("www-authenticate", 'Basic realm="token"');
        send(401, { errors: [{ code: "UNAUTHORIZED", message: "invalid username or password" }] }, { ...(name && { username: name }), scopes, granted: [] });
        return;
      }
    }
    if (params.get("service") !== opts.service) {
      send(400, { errors: [{ code: "INVALID_SERVICE", message: "unknown service" }] }, { ...(user && { username: user.username }), scopes, granted: [] });
      return;
    }

    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of scopes) {
      const parts = scope.split(":");
      if (parts.length < 3 || parts[0] !== "repository") continue;
      const name = parts.slice(1, -1).join(":");
      const wanted = parts[parts.length - 1]!.split(",");
      const allowed = wanted.filter((a) => {
        if (a === "pull") return matches(user ? user.pull ?? ["*"] : opts.anonymousPull ?? [], name);
        if (a === "push") return user !== undefined && matches(user.push ?? ["*"], name);
        return false;
      });
      access.push({ type: "repository", name, actions: allowed });
    }
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresInSeconds ?? 300;
    const token = signJwt(
      { alg: "RS256", typ: "JWT", x5c },
      { iss: issuer, sub: user?.username ?? "", aud: opts.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access },
      certs.tlsKeyPem,
    );
    const field = opts.tokenField ?? "both";
    send(
      200,
      {
        ...(field !== "access_token" && { token }),
        ...(field !== "token" && { access_token: token }),
        expires_in: expiresIn,
        issued_at: new Date(now * 1000).toISOString(),
      },
      { ...(user && { username: user.username }), scopes, granted: access.map((a) => `repository:${a.name}:${a.actions.join(",")}`) },
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service: opts.service,
    issuer,
    rootCertPem: certs.caCertPem,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function matches(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => p === "*" || p === name || (p.endsWith("/*") && name.startsWith(p.slice(0, -1))));
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

export function signJwt(header: object, claims: object, keyPem: string): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign("RSA-SHA256").update(input).sign(keyPem);
  return `${input}.${base64url(signature)}`;
}

/** The base64 (standard, not URL) DER of a PEM certificate, as x5c wants it. */
export function pemToDerBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}
