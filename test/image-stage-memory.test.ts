import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pack } from "tar-stream";
import { MEDIA, pseudoRandomStream, pushBlobStream, pushManifestFor } from "./support/oci-image.js";
import { startRegistry, type RunningRegistry } from "./support/registry.js";

// A layer far larger than the check's process may hold is streamed, not buffered: the check runs in a
// child with a small V8 heap, and its peak resident memory stays far below the layer's size.

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
const LAYER_BYTES = 384 * 1024 * 1024;

/** A gzip tar layer: one big incompressible file, then the module as the last entry, so the whole layer is read. */
async function pushLargeLayer(reg: RunningRegistry, repo: string) {
  const tar = pack();
  const diff = createHash("sha256");
  const counted = new PassThrough();
  counted.on("data", (c: Buffer) => diff.update(c));
  const upload = pushBlobStream(reg, repo, tar.pipe(counted).pipe(createGzip({ level: 1 })));
  await pipeline(pseudoRandomStream(LAYER_BYTES), tar.entry({ name: "usr/share/firmware.bin", size: LAYER_BYTES }));
  tar.entry({ name: `opt/lib/modules/${KERNEL}/extra/big_driver.ko` }, "\x7fELF");
  tar.finalize();
  const blob = await upload;
  return pushManifestFor(reg, repo, KERNEL, [{ mediaType: MEDIA.ociLayerGzip, ...blob, diffId: `sha256:${diff.digest("hex")}` }]);
}

describe("image stage memory", () => {
  let reg: RunningRegistry;
  let dir: string;
  before(async () => {
    reg = await startRegistry();
    dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-memory-"));
  });
  after(async () => {
    await reg.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`checks a ${LAYER_BYTES / 2 ** 20} MiB layer with a 64 MiB heap and resident memory far below the layer size`, async (t) => {
    await pushLargeLayer(reg, "kmm/big-driver");
    const moduleFile = path.join(dir, "module.json");
    await writeFile(
      moduleFile,
      JSON.stringify({
        apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
        kind: "Module",
        metadata: { name: "big-driver", namespace: "drivers" },
        spec: { selector: {}, moduleLoader: { container: { modprobe: { moduleName: "big-driver" }, kernelMappings: [{ regexp: ".", containerImage: `${reg.host}/kmm/big-driver:${KERNEL}` }] } } },
      }),
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--max-old-space-size=64", "--import", "tsx", "test/support/image-check-child.ts", moduleFile, KERNEL, reg.host],
        { timeout: 120_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    const { result, maxRssBytes } = JSON.parse(out) as { result: { verificationStatus: string; path?: string; reason: string }; maxRssBytes: number };
    assert.equal(result.verificationStatus, "true", result.reason);
    assert.equal(result.path, `/opt/lib/modules/${KERNEL}/extra/big_driver.ko`);
    t.diagnostic(`peak RSS of the check: ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(maxRssBytes < LAYER_BYTES / 2, `peak RSS ${(maxRssBytes / 2 ** 20).toFixed(0)} MiB; a streamed check of a ${LAYER_BYTES / 2 ** 20} MiB layer should stay far below it`);
  });
});
