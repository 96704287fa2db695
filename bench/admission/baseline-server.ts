// Baselines for the admission benchmark: servers that read the request body and answer a fixed JSON
// body of the same size as kmm-preflight's answer. `node-https` and `express` do no work in between;
// `node-https-parse` also JSON.parses the body, the least any handler of an AdmissionReview must do.
//   node --import tsx baseline-server.ts <node-https|node-https-parse|express> <port> <cert-dir> <response-file>
import { readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import express from "express";

const [kind, port, certDir, responseFile] = process.argv.slice(2);
const tls = { cert: readFileSync(path.join(certDir!, "tls.crt")), key: readFileSync(path.join(certDir!, "tls.key")), minVersion: "TLSv1.2" as const };
const body = readFileSync(responseFile!);

let server: https.Server;
if (kind === "node-https") {
  server = https.createServer(tls, (req, res) => {
    req.on("data", () => {});
    req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body));
  });
} else if (kind === "node-https-parse") {
  let parsed = 0;
  server = https.createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      // Counted, so the parse is not optimised away.
      if ((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request?: unknown }).request) parsed++;
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
    });
  });
  process.on("exit", () => process.stderr.write(`parsed ${parsed}\n`));
} else if (kind === "express") {
  const app = express();
  app.post(/.*/, express.raw({ type: () => true, limit: "7mb" }), (_req, res) => {
    res.type("application/json").send(body);
  });
  server = https.createServer(tls, app);
} else {
  throw new Error(`unknown baseline ${kind}`);
}
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
