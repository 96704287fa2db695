// Streaming a large blob from a real docker-registry: memory stays bounded (the client never holds the
// blob), the digest is still verified, and a consumer can stop early.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RegistryClient } from "../src/registry/index.js";
import { MEDIA, pseudoRandomStream, pushBlobStream } from "./support/oci-image.js";
import { startRegistry, type RunningRegistry } from "./support/registry.js";

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

// A full GC on demand, to measure what the client keeps alive rather than what the GC has yet to collect.
function exposeGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc") as () => void;
  } catch {
    return undefined;
  }
}
const gc = exposeGc();
const inUse = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
/** In use after a full GC; ArrayBuffer backing stores are swept concurrently, so wait a moment and collect again. */
async function collected(): Promise<number> {
  if (!gc) return inUse();
  gc();
  await setTimeout(10);
  gc();
  return inUse();
}

describe("streaming a 256 MiB blob", () => {
  let reg: RunningRegistry;
  let client: RegistryClient;
  let blob: { mediaType: string; digest: string; size: number };
  let ref: string;

  before(async () => {
    reg = await startRegistry();
    const pushed = await pushBlobStream(reg, "kmm/big", pseudoRandomStream(SIZE, "big"), { size: SIZE });
    blob = { mediaType: MEDIA.ociLayer, ...pushed };
    ref = `${reg.host}/kmm/big:any`;
    client = new RegistryClient({ tls: () => reg.tls });
  });
  after(async () => {
    await client?.close();
    await reg?.stop();
  });

  it("verifies every byte while live memory stays under 8 MiB and the raw peak under 128 MiB", async (t) => {
    const baseline = await collected();
    let peakLive = 0;
    let peakRaw = 0;
    let received = 0;
    let nextGc = 16 * MiB;
    const stream = await client.openBlob(ref, blob);
    for await (const chunk of stream) {
      received += (chunk as Buffer).length;
      peakRaw = Math.max(peakRaw, inUse() - baseline);
      if (received >= nextGc) {
        nextGc += 32 * MiB;
        peakLive = Math.max(peakLive, (await collected()) - baseline);
      }
    }
    t.diagnostic(`live +${(peakLive / MiB).toFixed(1)} MiB, raw peak +${(peakRaw / MiB).toFixed(1)} MiB for ${SIZE / MiB} MiB`);
    assert.equal(received, SIZE);
    if (gc) assert.ok(peakLive < 8 * MiB, `live memory grew by ${(peakLive / MiB).toFixed(1)} MiB`);
    assert.ok(peakRaw < 128 * MiB, `memory peaked ${(peakRaw / MiB).toFixed(1)} MiB above the baseline`);
  });

  it("lets the consumer stop early without errors, and keeps working afterwards", async () => {
    const stream = await client.openBlob(ref, blob);
    let got = 0;
    for await (const chunk of stream) {
      got += (chunk as Buffer).length;
      if (got > MiB) break;
    }
    assert.ok(stream.destroyed);
    const again = await client.openBlob(ref, blob);
    const first = await new Promise<Buffer>((resolve, reject) => again.once("data", resolve).once("error", reject));
    assert.ok(first.length > 0);
    again.destroy();
  });
});
