import https from "node:https";

export const SERVICE_DNS_NAME = "kmm-preflight.kmm-preflight.svc";

export interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request the way the API server makes it: to an address, trusting only `ca`, verifying the
 * certificate against the Service DNS name (Node checks the identity against `servername` when it is
 * set), no connection reuse.
 */
export function httpsRequest(
  port: number,
  opts: { host?: string; ca?: string | undefined; path: string; method?: string; body?: unknown; servername?: string; maxVersion?: "TLSv1.1" | "TLSv1.2" | "TLSv1.3" },
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = https.request(
      {
        host: opts.host ?? "127.0.0.1",
        port,
        path: opts.path,
        method: opts.method ?? (payload ? "POST" : "GET"),
        servername: opts.servername ?? SERVICE_DNS_NAME,
        ca: opts.ca,
        agent: false,
        ...(opts.maxVersion && { maxVersion: opts.maxVersion, minVersion: "TLSv1" as const }),
        headers: payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}
