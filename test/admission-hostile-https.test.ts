// The admission server over real HTTPS against clients that are hostile or broken: slow bodies, and
// a seeded stream of malformed AdmissionReviews. Each must get an answer (a review, or a 4xx for a
// malformed one) that names what is wrong, and the server keeps answering everyone else.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { once } from "node:events";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { MUTATE_PREFLIGHT_PATH, VALIDATE_MODULE_ENFORCE_PATH, VALIDATE_MODULE_PATH, VALIDATE_PREFLIGHT_PATH } from "../src/api/index.js";
import { answerProblems, hostileReview, seededRandom } from "../src/admission/test-hostile-reviews.js";
import { parseServeConfig } from "../src/server/config.js";
import { type RunningServer, startServer } from "../src/server/serve.js";
import { SERVICE_DNS_NAME, httpsRequest } from "./support/https-client.js";
import { preflight, reviewOf } from "./support/reviews.js";
import { captureLog } from "./support/captured-log.js";

/** Asserts the review `uid` is answered (200) within 15 s: a loaded CI machine has room for a TLS handshake. */
async function assertAnswered(answer: Promise<{ status: number; body: string }>, uid: string, why: string): Promise<void> {
  const late = new Promise<"late">((resolve) => setTimeout(resolve, 15_000, "late").unref());
  const res = await Promise.race([answer, late]);
  if (res === "late") assert.fail(why);
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).response.uid, uid);
}

/** A server of its own for a describe block (started before, shut down after), with the sockets to close. */
function serverFor(env: Record<string, string> = {}) {
  const t = { dir: "", ca: "", server: undefined as RunningServer | undefined, sockets: [] as tls.TLSSocket[] };
  before(async () => {
    t.dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-hostile-"));
    const config = parseServeConfig([], { PORT: "0", METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: t.dir, NO_CLUSTER: "true", ...env });
    assert.ok(config.ok);
    t.server = await startServer(config.config, { log: captureLog().log });
    t.ca = await readFile(path.join(t.dir, "ca.crt"), "utf8");
  });
  after(async () => {
    for (const s of t.sockets) s.destroy();
    await t.server?.shutdown("test done");
    if (t.dir) await rm(t.dir, { recursive: true, force: true });
  });
  return t;
}

describe("admission server over HTTPS, given hostile clients", () => {
  const t = serverFor();

  /** A POST of exactly `body` with exactly `headers`, as a broken or hostile client might make it. */
  function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request({ host: "127.0.0.1", port: t.server!.port, path, method: "POST", ca: t.ca, servername: SERVICE_DNS_NAME, agent: false, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", reject);
      req.end(body);
    });
  }

  /** The answer's problems (answerProblems), or why it is not an AdmissionReview at all. */
  const problemsOf = (res: { status: number; body: string }) => {
    try {
      return answerProblems(res.status, JSON.parse(res.body));
    } catch {
      return [`HTTP ${res.status}, not JSON: ${res.body.slice(0, 200)}`];
    }
  };

  const JSON_TYPE = { "content-type": "application/json" };
  const GOOD = JSON.stringify(reviewOf({ object: preflight("p1") }));
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

  // Bodies a client can send that no generator of objects makes: not JSON, not UTF-8, nested past
  // any stack. Each gets a review saying what is wrong (400), or a decision (200), never a 500.
  const BODIES: [string, string | Buffer, Record<string, string>, RegExp][] = [
    ["an empty body", "", JSON_TYPE, /^request body is not valid JSON/],
    ["text", "hello", JSON_TYPE, /^request body is not valid JSON/],
    ["truncated JSON", GOOD.slice(0, 60), JSON_TYPE, /^request body is not valid JSON/],
    ["bytes that are not UTF-8", Buffer.concat([Buffer.from(GOOD.slice(0, 30)), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(GOOD.slice(30))]), JSON_TYPE, /^request body is not valid JSON/],
    ["JSON null", "null", JSON_TYPE, /^request body must be a JSON object/],
    ["a review as text/plain", GOOD, { "content-type": "text/plain" }, /^Content-Type must be application\/json, got "text\/plain"/],
    ["a review without a content type", GOOD, {}, /^Content-Type must be application\/json/],
    ["a body nested a million deep", deep(1_000_000), JSON_TYPE, /^request body must be a JSON object/],
    ["a request nested 100000 deep", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${deep(100_000)}}`, JSON_TYPE, /^request must be an object/],
    ["a uid nested 100000 deep", GOOD.replace(/"uid":"[^"]+"/, `"uid":${deep(100_000)}`), JSON_TYPE, /^request\.uid must be a non-empty string/],
    ["a metadata.name nested 100000 deep", GOOD.replace('"name":"p1","operation"', '"operation"').replace('{"name":"p1"}', `{"name":${deep(100_000)}}`), JSON_TYPE, /metadata\.name: Invalid value: \[…\]: must be a string/],
    ["a 5 MB uid", GOOD.replace(/"uid":"[^"]+"/, `"uid":"${"u".repeat(5_000_000)}"`), JSON_TYPE, /./],
  ];
  for (const [what, body, headers, message] of BODIES) {
    it(`answers ${what} with a review that says what is wrong`, async () => {
      const res = await post(VALIDATE_PREFLIGHT_PATH, body, headers);
      assert.deepEqual(problemsOf(res), []);
      const response = JSON.parse(res.body).response;
      if (!response.allowed) assert.match(response.status.message, message);
    });
  }

  it("answers 200 seeded hostile reviews on every webhook with reviews the API server can decode, then still admits a good one", async () => {
    const rnd = seededRandom(4242);
    const paths = [[MUTATE_PREFLIGHT_PATH, "PreflightValidationOCP"], [VALIDATE_PREFLIGHT_PATH, "PreflightValidationOCP"], [VALIDATE_MODULE_PATH, "Module"], [VALIDATE_MODULE_ENFORCE_PATH, "Module"]] as const;
    const failures: string[] = [];
    for (let i = 0; i < 200; i++) {
      const [path, kind] = paths[i % paths.length]!;
      const res = await post(path, JSON.stringify(hostileReview(rnd, kind)), JSON_TYPE);
      for (const p of problemsOf(res)) failures.push(`case ${i} (${path}): ${p}`);
    }
    assert.deepEqual(failures.slice(0, 10), []);
    const res = await post(VALIDATE_PREFLIGHT_PATH, GOOD, JSON_TYPE);
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.body).response.allowed, true);
  });

  /** A TLS connection that has sent a request's headers and the first byte of its body, and then nothing. */
  async function stalledRequest(declaredBytes: number): Promise<void> {
    const s = tls.connect({ host: "127.0.0.1", port: t.server!.port, ca: t.ca, servername: SERVICE_DNS_NAME });
    t.sockets.push(s);
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
    const answer = httpsRequest(t.server!.port, { ca: t.ca, path: VALIDATE_PREFLIGHT_PATH, body: review });
    // Queued behind the stalled clients, the answer would come only at the server's 30 s request
    // timeout; 15 s leaves a loaded CI machine room for a TLS handshake and still tells the two apart.
    await assertAnswered(answer, review.request!.uid, "no answer within 15 s: the stalled clients hold the body budget");
  });
});

// Small bodies (every real review) are read at once from a pool of their own while it has room, and
// queue on the budget once it is full: clients holding half-sent small bodies cannot grow memory
// without bound. Here the budget is 512 KiB: two stalled 256 KiB bodies fill the pool, two more the
// budget, and an ordinary review then waits until they go.
describe("admission server over HTTPS, given many clients holding half-sent small bodies", () => {
  const t = serverFor({ BUFFERED_BODY_BYTES: String(512 * 1024) });

  it("bounds what they hold: a review waits once pool and budget are full, and is answered when they go", async () => {
    for (let i = 0; i < 4; i++) {
      const s = tls.connect({ host: "127.0.0.1", port: t.server!.port, ca: t.ca, servername: SERVICE_DNS_NAME });
      t.sockets.push(s);
      s.on("error", () => {});
      await once(s, "secureConnect");
      s.write(`POST ${VALIDATE_PREFLIGHT_PATH} HTTP/1.1\r\nHost: kmm-preflight\r\nContent-Type: application/json\r\nContent-Length: ${256 * 1024}\r\n\r\n{`);
    }
    // The server runs in this process: a second of this loop's time lets it read all four headers.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const review = reviewOf({ object: preflight("p1") });
    const answer = httpsRequest(t.server!.port, { ca: t.ca, path: VALIDATE_PREFLIGHT_PATH, body: review });
    const waited = await Promise.race([answer.then(() => "answered"), new Promise((resolve) => setTimeout(resolve, 2000, "waiting"))]);
    assert.equal(waited, "waiting", "answered although four half-sent bodies held the pool and the budget");
    for (const s of t.sockets) s.destroy();
    await assertAnswered(answer, review.request!.uid, "not answered within 15 s of the stalled clients leaving");
  });
});
