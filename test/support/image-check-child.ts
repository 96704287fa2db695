// Runs one image-stage check in its own process and prints the verdict and the process's peak memory,
// so a test can bound the memory a check needs: `node --max-old-space-size=N --import tsx this.ts <module.json> <kernel> <insecure-registry>`.
import { readFileSync } from "node:fs";
import { checkModuleImage } from "../../src/image-check/image-stage.js";
import { RegistryClient } from "../../src/registry/index.js";

const [moduleFile, kernel, host] = process.argv.slice(2);
const registry = new RegistryClient({ tls: (r) => (r === host ? { insecure: true } : undefined) });
const result = await checkModuleImage(JSON.parse(readFileSync(moduleFile!, "utf8")), kernel!, { registry });
await registry.close();
process.stdout.write(JSON.stringify({ result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
