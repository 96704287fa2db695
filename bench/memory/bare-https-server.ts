// The memory baseline: a bare node:https server that reads each request body and answers a fixed JSON
// body, with the same certificate as kmm-preflight. Node built-ins only, so what it holds is Node's own.
//   node bare-https-server.mjs <port> <cert-dir>
import { readFileSync } from "node:fs";
import https from "node:https";
import path from "node:path";

const [port, certDir] = process.argv.slice(2);
const body = Buffer.from('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"","allowed":true}}');
const server = https.createServer(
  { cert: readFileSync(path.join(certDir!, "tls.crt")), key: readFileSync(path.join(certDir!, "tls.key")), minVersion: "TLSv1.2" },
  (req, res) => {
    req.on("data", () => {});
    req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body));
  },
);
server.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
