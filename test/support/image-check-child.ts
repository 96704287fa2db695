// Runs one image-stage check in its own process and prints the verdict and the process's peak memory,
// so a test can bound the memory a check needs: `node --max-old-space-size=N --import tsx this.ts <module.json> <kernel> <insecure-registry>`.
import { readFileSync } from "node:fs";
import { checkModuleImage } from "../../src/image-check/image-stage.js";

const [moduleFile, kernel, registry] = process.argv.slice(2);
const result = await checkModuleImage(JSON.parse(readFileSync(moduleFile!, "utf8")), kernel!, { insecureRegistries: [registry!] });
process.stdout.write(JSON.stringify({ result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
