// One measurement of bench/layer-scan.ts, in its own process so that its peak RSS is its own.
// `node bench/layer-scan-child.ts '<json ChildTask>'` (bundled or with --import tsx); prints one JSON
// ChildReport line on stdout. Modes:
//   check        checkModuleImage(), the image stage as shipped
//   zlib         HTTP GET of the blob → zlib gunzip → discard (Node's decompression ceiling; the
//                default chunkSize of 16 KiB unless `chunkSize` is given)
//   zlib-tar     the same → tar-stream extract, every body drained (adds tar parsing)
//   client-zlib  RegistryClient.openBlob (digest verified) → zlib gunzip → discard (adds the client)
import http from "node:http";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import type { Module } from "../src/api/index.js";
import { checkModuleImage } from "../src/image-check/image-stage.js";
import { RegistryClient } from "../src/registry/index.js";

export type ChildTask =
  | { readonly mode: "check"; readonly registry: string; readonly image: string; readonly kernel: string; readonly moduleName: string }
  | { readonly mode: "zlib"; readonly url: string; readonly chunkSize?: number }
  | { readonly mode: "zlib-tar"; readonly url: string }
  | { readonly mode: "client-zlib"; readonly registry: string; readonly image: string; readonly digest: string; readonly size: number };

export interface ChildReport {
  /** Wall time of the work itself, without process start-up and module loading. */
  readonly seconds: number;
  /** Resident memory once the modules are loaded, before the work. */
  readonly rssBeforeKiB: number;
  /** process.resourceUsage().maxRSS at the end: the process's peak. */
  readonly maxRssKiB: number;
  readonly verdict?: string;
  readonly reason?: string;
  readonly path?: string;
  readonly bytes?: number;
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

function get(url: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`GET ${url}: ${res.statusCode}`));
        } else resolve(res);
      })
      .on("error", reject);
  });
}

function moduleFor(image: string, moduleName: string): Module {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: "bench-driver", namespace: "bench" },
    spec: {
      selector: {},
      moduleLoader: { container: { modprobe: { moduleName }, kernelMappings: [{ regexp: "^.+$", containerImage: image }] } },
    },
  } as Module;
}

async function run(task: ChildTask): Promise<Omit<ChildReport, "seconds" | "rssBeforeKiB" | "maxRssKiB">> {
  switch (task.mode) {
    case "check": {
      const registry = new RegistryClient({ tls: (r) => (r === task.registry ? { insecure: true } : undefined) });
      try {
        const r = await checkModuleImage(moduleFor(task.image, task.moduleName), task.kernel, { registry });
        return { verdict: r.verificationStatus, reason: r.reason, ...(r.path !== undefined && { path: r.path }) };
      } finally {
        await registry.close();
      }
    }
    case "zlib": {
      let bytes = 0;
      const gunzip = createGunzip(task.chunkSize === undefined ? {} : { chunkSize: task.chunkSize });
      gunzip.on("data", (c: Buffer) => (bytes += c.length));
      await pipeline(await get(task.url), gunzip);
      return { bytes };
    }
    case "zlib-tar": {
      let bytes = 0;
      const tar = extract();
      const drained = (async () => {
        for await (const entry of tar) {
          for await (const c of entry as AsyncIterable<Buffer>) bytes += c.length;
        }
      })();
      await pipeline(await get(task.url), createGunzip(), tar as unknown as NodeJS.WritableStream);
      await drained;
      return { bytes };
    }
    case "client-zlib": {
      const client = new RegistryClient({ tls: () => ({ insecure: true }) });
      try {
        const ref = `${task.registry}/${task.image.split("/").slice(1).join("/")}`;
        const blob = await client.openBlob(ref, { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: task.digest, size: task.size });
        await pipeline(blob, createGunzip(), discard());
        return {};
      } finally {
        await client.close();
      }
    }
  }
}

const task = JSON.parse(process.argv[2] ?? "null") as ChildTask | null;
if (!task) {
  process.stderr.write("usage: layer-scan-child '<json task>'\n");
  process.exit(2);
}
const rssBeforeKiB = Math.round(process.memoryUsage().rss / 1024);
const started = performance.now();
const out = await run(task);
const seconds = (performance.now() - started) / 1000;
const report: ChildReport = { seconds, rssBeforeKiB, maxRssKiB: process.resourceUsage().maxRSS, ...out };
process.stdout.write(`${JSON.stringify(report)}\n`);
