// Load for the memory benchmark, from its own process: `connections` keep-alive HTTPS clients, each
// POSTing the body file again as soon as its previous answer is read, for `seconds`. Prints a JSON
// summary. Bounded in time; loopback only.
//   node --import tsx load.ts <url> <connections> <seconds> <body-file>   (NODE_EXTRA_CA_CERTS for the CA)
import { readFileSync } from "node:fs";
import https from "node:https";

const [url, connections, seconds, bodyFile] = process.argv.slice(2);
const body = readFileSync(bodyFile!);
const agent = new https.Agent({ keepAlive: true, maxSockets: Number(connections) });
const until = Date.now() + Number(seconds) * 1000;
let answered = 0;
let failed = 0;

function post(): Promise<void> {
  return new Promise((resolve) => {
    const req = https.request(url!, { method: "POST", agent, servername: "localhost", headers: { "content-type": "application/json", "content-length": body.length } }, (res) => {
      res.resume();
      res.on("end", () => {
        if (res.statusCode === 200) answered++;
        else failed++;
        resolve();
      });
    });
    req.on("error", () => {
      failed++;
      resolve();
    });
    req.end(body);
  });
}

async function client(): Promise<void> {
  while (Date.now() < until) await post();
}

await Promise.all(Array.from({ length: Number(connections) }, client));
agent.destroy();
process.stdout.write(`${JSON.stringify({ answered, failed })}\n`);
