import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import zlib from "node:zlib";
import { isImageCheckError } from "./errors.js";
import * as sut from "./layered-fs.js";
import {
  dir,
  file,
  generatedTar,
  hardlink,
  image,
  layer,
  opaque,
  rawEntry,
  source,
  symlink,
  TAR_END,
  tarHeader,
  whiteout,
} from "../../test/support/layers.js";

type Seen = { path: string; type: sut.LayerEntryType; layer: number };

/** Every visited entry, in visiting order. */
async function visitAll(layers: sut.LayerSource[], options?: sut.WalkOptions): Promise<Seen[]> {
  const seen: Seen[] = [];
  await sut.walkLayers(layers, (e) => void seen.push({ path: e.path, type: e.type, layer: e.layerIndex }), options);
  return seen;
}

const paths = (seen: Seen[]) => seen.map((s) => s.path).sort();
const at = (seen: Seen[], path: string) => seen.filter((s) => s.path === path);

describe("walkLayers()", () => {
  describe("given one layer with ./-prefixed, /-prefixed and trailing-slash names", () => {
    it("visits each entry once under its normalised path, and not the root", async () => {
      const seen = await visitAll(image(await layer([dir("./"), dir("./opt/"), file("./opt//a"), file("/opt/b"), symlink("opt/c", "a")])));
      assert.deepEqual(paths(seen), ["opt", "opt/a", "opt/b", "opt/c"]);
      assert.deepEqual(at(seen, "opt")[0]?.type, "directory");
      assert.deepEqual(at(seen, "opt/c")[0]?.type, "symlink");
    });
  });

  describe("given the same path in two layers", () => {
    it("visits the upper one only", async () => {
      const seen = await visitAll(image(await layer([file("etc/x", "old")]), await layer([file("./etc/x", "new")])));
      assert.deepEqual(at(seen, "etc/x"), [{ path: "etc/x", type: "file", layer: 1 }]);
    });
  });

  describe("given a path twice in one layer", () => {
    it("visits the first only", async () => {
      const seen = await visitAll(image(await layer([file("a", "1"), file("a", "2")])));
      assert.equal(at(seen, "a").length, 1);
    });
  });

  describe("given a whiteout of a file", () => {
    it("hides the lower layers' file but not its siblings", async () => {
      const seen = await visitAll(image(await layer([file("d/x"), file("d/xy")]), await layer([whiteout("d/x")])));
      assert.deepEqual(paths(seen), ["d/xy"]);
    });
    it("does not hide the same layer's file (a file re-added above the whiteout's layer stays)", async () => {
      const seen = await visitAll(image(await layer([file("d/x", "low")]), await layer([whiteout("d/x"), file("d/x", "same")])));
      assert.deepEqual(at(seen, "d/x"), [{ path: "d/x", type: "file", layer: 1 }]);
    });
    it("is not visited itself", async () => {
      const seen = await visitAll(image(await layer([whiteout("d/x")])));
      assert.deepEqual(paths(seen), []);
    });
  });

  describe("given a whiteout of a directory", () => {
    it("hides everything below it in lower layers", async () => {
      const seen = await visitAll(image(await layer([dir("a"), dir("a/b"), file("a/b/c"), file("a/bc")]), await layer([whiteout("a/b")])));
      assert.deepEqual(paths(seen), ["a", "a/bc"]);
    });
    it("lets a layer above it add the directory again", async () => {
      const seen = await visitAll(image(await layer([file("a/b/old")]), await layer([whiteout("a/b")]), await layer([file("a/b/new")])));
      assert.deepEqual(paths(seen), ["a/b/new"]);
    });
  });

  describe("given an opaque directory", () => {
    it("hides the lower layers' contents but keeps its own layer's", async () => {
      const seen = await visitAll(image(await layer([file("a/b/low"), file("a/other")]), await layer([dir("a/b"), opaque("a/b"), file("a/b/mine")])));
      assert.deepEqual(paths(seen), ["a/b", "a/b/mine", "a/other"]);
    });
    it("applies at the root too", async () => {
      const seen = await visitAll(image(await layer([file("x")]), await layer([opaque("."), file("y")])));
      assert.deepEqual(paths(seen), ["y"]);
    });
  });

  describe("given a file in an upper layer where a lower layer has a directory", () => {
    it("hides the directory's contents", async () => {
      const seen = await visitAll(image(await layer([file("a/b/c")]), await layer([file("a/b", "now a file")])));
      assert.deepEqual(paths(seen), ["a/b"]);
    });
  });

  describe("given a visitor that says stop in the top layer", () => {
    it("never opens the lower layers and releases the top one", async () => {
      const layers = image(await layer([file("x")]), await layer([file("x")]), await layer([file("y"), file("z")]));
      const summary = await sut.walkLayers(layers, () => "stop");
      assert.deepEqual(summary, { layersOpened: 1, ended: "visitor" });
      assert.deepEqual(layers.map((l) => l.opened), [0, 0, 1]);
      await new Promise((r) => setImmediate(r));
      assert.ok(layers[2]!.streams[0]!.destroyed);
    });
  });

  describe("given a scope", () => {
    it("visits only the scope, below it and the directories above it", async () => {
      const seen = await visitAll(image(await layer([dir("opt"), dir("opt/lib"), file("opt/lib/a"), file("opt/libx"), file("etc/y")])), { scope: ["/opt/lib/"] });
      assert.deepEqual(paths(seen), ["opt", "opt/lib", "opt/lib/a"]);
    });
    it("ends without opening lower layers once the scope is hidden", async () => {
      const layers = image(await layer([file("opt/lib/a")]), await layer([file("etc/x")]), await layer([opaque("opt"), file("etc/y")]));
      const summary = await sut.walkLayers(layers, () => undefined, { scope: ["opt/lib"] });
      assert.deepEqual(summary, { layersOpened: 1, ended: "hidden" });
      assert.deepEqual(layers.map((l) => l.opened), [0, 0, 1]);
    });
  });

  describe("given a visitor that reads bodies", () => {
    it("reads a file's body and drains the unread ones", async () => {
      const bodies: Record<string, string> = {};
      await sut.walkLayers(image(await layer([file("a", "A".repeat(70_000)), file("b", "bee"), file("c", "sea")])), async (e) => {
        if (e.path !== "a") bodies[e.path] = (await e.read()).toString();
      });
      assert.deepEqual(bodies, { b: "bee", c: "sea" });
    });
    it("refuses a body over maxReadBytes as TooLarge", async () => {
      const walk = sut.walkLayers(image(await layer([file("a", "12345")])), async (e) => void (await e.read()), { maxReadBytes: 4 });
      await assert.rejects(walk, (e) => isImageCheckError(e, "TooLarge") && e.layerDigest === "sha256:layer0");
    });
    it("refuses read() after the visit returned", async () => {
      let entry: sut.LayerEntry | undefined;
      await sut.walkLayers(image(await layer([file("a", "x")])), (e) => void (entry = e));
      await assert.rejects(entry!.read(), /after its visit/);
    });
  });

  describe("given a corrupt layer", () => {
    it("fails Corrupt naming the layer for damaged gzip", async () => {
      const good = await layer([file("x")]);
      const bad = Buffer.concat([good.subarray(0, 20), Buffer.alloc(100, 0x55)]);
      await assert.rejects(visitAll(image(good, bad)), (e) => isImageCheckError(e, "Corrupt") && e.layerDigest === "sha256:layer1");
    });
    it("fails Corrupt for a gzip holding no tar", async () => {
      await assert.rejects(visitAll(image(zlib.gzipSync(Buffer.alloc(600, 0x41)))), (e) => isImageCheckError(e, "Corrupt") && /tar/.test(e.message));
    });
    it("fails Corrupt for a truncated tar", async () => {
      const tar = await layer([file("x", "y".repeat(4000))], { compression: "none" });
      await assert.rejects(visitAll(image(tar.subarray(0, 1500))), (e) => isImageCheckError(e, "Corrupt"));
    });
  });

  describe("given a layer source that fails", () => {
    it("passes open()'s error through unchanged", async () => {
      const boom = new Error("blob unknown");
      await assert.rejects(sut.walkLayers([{ digest: "sha256:x", open: () => Promise.reject(boom) }], () => undefined), (e) => e === boom);
    });
    it("passes a mid-stream error through unchanged", async () => {
      const boom = new Error("digest mismatch");
      const gz = await layer([file("a", "x".repeat(100_000))]);
      const failing = source("sha256:x", () => new Readable({
        read() {
          this.push(gz.subarray(0, 200));
          this.destroy(boom);
        },
      }));
      await assert.rejects(sut.walkLayers([failing], () => undefined), (e) => e === boom);
    });
  });

  describe("given hostile headers", () => {
    const hostile = (size: number | bigint) => Buffer.concat([tarHeader({ name: "big", size }), Buffer.alloc(512), TAR_END]);
    for (const [what, size] of [["an 8 GiB octal size", 8 ** 11 - 1], ["a 2^80 base-256 size", 2n ** 80n], ["a negative base-256 size", -5n]] as const) {
      it(`fails Corrupt without allocating for ${what}`, async () => {
        await assert.rejects(visitAll(image(zlib.gzipSync(hostile(size)))), (e) => isImageCheckError(e, "Corrupt"));
      });
    }
    it("refuses to read an absurd body as TooLarge", async () => {
      const walk = sut.walkLayers(image(hostile(8 ** 11 - 1)), async (e) => void (await e.read()));
      await assert.rejects(walk, (e) => isImageCheckError(e, "TooLarge"));
    });
    it("skips names that climb above the root", async () => {
      const tar = Buffer.concat([rawEntry("../../etc/passwd", "x"), rawEntry("./../opt/a", "x"), rawEntry("opt/b/../c", "x"), TAR_END]);
      assert.deepEqual(paths(await visitAll(image(tar))), ["opt/c"]);
    });
  });

  describe("given a 200 MiB layer generated as a stream", () => {
    it("scans it with memory far below its size", async () => {
      const SIZE = 200 * 1024 * 1024;
      v8.setFlagsFromString("--expose-gc");
      (vm.runInNewContext("gc") as () => void)();
      const big = source("sha256:big", () =>
        generatedTar({ files: 800, fileSize: SIZE / 800, prefix: "usr/share/big", tail: rawEntry("opt/last", "end") }).pipe(zlib.createGzip({ level: 1 })),
      );
      const used = () => {
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const base = used();
      let peak = base;
      const sampler = setInterval(() => (peak = Math.max(peak, used())), 2);
      let last = "";
      let count = 0;
      try {
        await sut.walkLayers([big], (e) => {
          peak = Math.max(peak, used());
          count++;
          last = e.path;
        });
      } finally {
        clearInterval(sampler);
      }
      assert.equal(count, 800 + 1);
      assert.equal(last, "opt/last");
      const growth = peak - base;
      assert.ok(growth < 64 * 1024 * 1024, `memory grew by ${(growth / 2 ** 20).toFixed(1)} MiB while scanning 200 MiB`);
    });
  });
});

describe("readFileFromLayers()", () => {
  const read = async (layers: sut.LayerSource[], path: string, options?: sut.ReadFileOptions) =>
    (await sut.readFileFromLayers(layers, path, options))?.toString();

  describe("given shadowing and whiteouts", () => {
    it("reads the topmost version", async () => {
      assert.equal(await read(image(await layer([file("etc/a.json", "low")]), await layer([file("./etc/a.json", "high")])), "/etc/a.json"), "high");
    });
    it("returns undefined for a whited-out file, without opening the layers below the whiteout", async () => {
      const layers = image(await layer([file("etc/a.json", "low")]), await layer([whiteout("etc/a.json")]), await layer([file("etc/b")]));
      assert.equal(await read(layers, "etc/a.json"), undefined);
      assert.deepEqual(layers.map((l) => l.opened), [0, 1, 1]);
    });
    it("returns undefined below an opaque directory", async () => {
      assert.equal(await read(image(await layer([file("etc/a.json", "low")]), await layer([opaque("etc")])), "etc/a.json"), undefined);
    });
    it("reads a file re-added above its whiteout", async () => {
      const layers = image(await layer([file("etc/a.json", "1")]), await layer([whiteout("etc")]), await layer([file("etc/a.json", "3")]));
      assert.equal(await read(layers, "etc/a.json"), "3");
    });
    it("returns undefined for a directory or a missing path", async () => {
      const layers = image(await layer([dir("etc"), file("etc/x/y")]));
      assert.equal(await read(layers, "etc"), undefined);
      assert.equal(await read(layers, "etc/x"), undefined);
      assert.equal(await read(layers, "nope"), undefined);
    });
  });

  describe("given the file in the top layer", () => {
    it("never opens the lower layers", async () => {
      const layers = image(await layer([file("a", "low")]), await layer([file("a", "top")]));
      assert.equal(await read(layers, "a"), "top");
      assert.deepEqual(layers.map((l) => l.opened), [0, 1]);
    });
  });

  describe("given links", () => {
    it("follows a relative symlink", async () => {
      assert.equal(await read(image(await layer([file("etc/real", "R"), symlink("etc/link", "real")])), "etc/link"), "R");
    });
    it("follows an absolute symlink into a lower layer", async () => {
      assert.equal(await read(image(await layer([file("usr/etc/real", "R")]), await layer([symlink("etc/link", "/usr/etc/real")])), "etc/link"), "R");
    });
    it("follows a symlinked directory on the way", async () => {
      const layers = image(await layer([file("usr/lib/x/y", "Y")]), await layer([symlink("lib", "usr/lib")]));
      assert.equal(await read(layers, "lib/x/y"), "Y");
    });
    it("follows a hardlink within a layer", async () => {
      assert.equal(await read(image(await layer([file("a/real", "R"), hardlink("b/link", "./a/real")])), "b/link"), "R");
    });
    it("reads a hardlink's target as its layer saw it, not as upper layers changed it", async () => {
      const layers = image(await layer([file("a/real", "R"), hardlink("b/link", "a/real")]), await layer([file("a/real", "changed")]));
      assert.equal(await read(layers, "b/link"), "R");
    });
    it("returns undefined for a dangling symlink", async () => {
      assert.equal(await read(image(await layer([symlink("a", "b")])), "a"), undefined);
    });
    it("fails LinkLoop for a symlink cycle", async () => {
      await assert.rejects(read(image(await layer([symlink("a", "b"), symlink("b", "a")])), "a"), (e) => isImageCheckError(e, "LinkLoop"));
    });
  });

  describe("given maxBytes", () => {
    it("fails TooLarge for a bigger file", async () => {
      await assert.rejects(read(image(await layer([file("a", "x".repeat(100))])), "a", { maxBytes: 99 }), (e) => isImageCheckError(e, "TooLarge"));
    });
  });
});

describe("resolvePathInLayers()", () => {
  describe("given a symlink to a file", () => {
    it("says where it leads and which layer holds it", async () => {
      const layers = image(await layer([file("usr/x", "X")]), await layer([symlink("x", "usr/x")]));
      assert.deepEqual(await sut.resolvePathInLayers(layers, "x"), { path: "usr/x", type: "file", size: 1, mode: 0o644, layerIndex: 0, layerDigest: "sha256:layer0" });
    });
  });
});

describe("readResolvedFileFromLayers()", () => {
  describe("given a path through a symlinked directory to a file with its own mode", () => {
    it("gives the body, where the file really is, and its mode", async () => {
      const layers = image(await layer([{ ...file("usr/lib/m.ko", "M"), mode: 0o600 }]), await layer([symlink("lib", "usr/lib")]));
      const r = await sut.readResolvedFileFromLayers(layers, "/lib/m.ko");
      assert.deepEqual([r?.body.toString(), r?.resolved.path, r?.resolved.mode], ["M", "usr/lib/m.ko", 0o600]);
    });
  });
  describe("given a missing file or a directory", () => {
    it("gives undefined", async () => {
      const layers = image(await layer([file("usr/lib/m.ko", "M")]));
      assert.equal(await sut.readResolvedFileFromLayers(layers, "usr/lib/x.ko"), undefined);
      assert.equal(await sut.readResolvedFileFromLayers(layers, "usr/lib"), undefined);
    });
  });
});
