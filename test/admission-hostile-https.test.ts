// The admission server over real HTTPS against clients that are hostile or broken: slow bodies, and
// a seeded stream of malformed AdmissionReviews. Each must get an answer (a review, or a 4xx for a
// malformed one) that names what is wrong, and the server keeps answering everyone else.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { VALIDATE_PREFLIGHT_PATH } from "../src/api/index.js";
import { parseServeConfig } from "../src/server/config.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { SERVICE_DNS_NAME, httpsRequest } from "./support/https-client.js";
import { preflight, reviewOf } from "./support/reviews.js";
import { captureLog } from "./support/captured-log.js";

describe("admission server over HTTPS, given hostile clients", () => {
  let dir: string;
  let server: RunningServer;
  let ca: string;
  const sockets: tls.TLSSocket[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-hostile-"));
    const config = parseServeConfig([], { PORT: "0", METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: dir, NO_CLUSTER: "true" });
    assert.ok(config.ok);
    server = await startServer(config.config, { log: captureLog().log });
    ca = await readFile(path.join(dir, "ca.crt"), "utf8");
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await server?.shutdown("test done");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A TLS connection that has sent a request's headers and the first byte of its body, and then nothing. */
  async function stalledRequest(declaredBytes: number): Promise<void> {
    const s = tls.connect({ host: "127.0.0.1", port: server.port, ca, servername: SERVICE_DNS_NAME });
    sockets.push(s);
    s.on("error", () => {});
    await once(s, "secureConnect");
    s.write(`POST ${VALIDATE_PREFLIGHT_PATH} HTTP/1.1\r\nHost: kmm-preflight\r\nContent-Type: application/json\r\nContent-Length: ${declaredBytes}\r\n\r\n{`);
  }

  // The buffered-body budget (16 MiB) is reserved by declared length. Three clients declaring 7 MiB
  // and sending one byte held it (two reading, one queued ahead of everyone) until the request
  // timeout, up to a minute: longer than the API server waits (timeoutSeconds 5 and 3), so every
  // PreflightValidationOCP write failed and Module policy (failurePolicy Ignore) was skipped.
  it("answers an ordinary review at once while clients that declared large bodies send nothing", async () => {
    for (let i = 0; i < 3; i++) await stalledRequest(7 * 1024 * 1024);
    const review = reviewOf({ object: preflight("p1") });
    const started = Date.now();
    const answer = httpsRequest(server.port, { ca, path: VALIDATE_PREFLIGHT_PATH, body: review });
    const late = new Promise<"late">((resolve) => setTimeout(resolve, 3000, "late").unref());
    const res = await Promise.race([answer, late]);
    assert.notEqual(res, "late", "no answer within 3 s: the stalled clients hold the body budget");
    if (res === "late") return;
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).response.uid, review.request!.uid);
    assert.ok(Date.now() - started < 3000);
  });
});
