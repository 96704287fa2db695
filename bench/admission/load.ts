// The load generator, in its own process so it does not share a CPU budget with the server's event loop:
//   node --import tsx load.ts <url> <connections> <seconds> <body-file>   → one JSON line of results
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const [url, connections, seconds, bodyFile] = process.argv.slice(2);
const r = await autocannon({
  url: url!,
  connections: Number(connections),
  duration: Number(seconds),
  method: "POST",
  headers: { "content-type": "application/json" },
  body: readFileSync(bodyFile!, "utf8"),
});
process.stdout.write(
  `${JSON.stringify({ rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx })}\n`,
);
