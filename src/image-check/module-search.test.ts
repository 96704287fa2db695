import assert from "node:assert/strict";
import { describe, it } from "node:test";
import zlib from "node:zlib";
import { isImageCheckError } from "./errors.js";
import { nodeZstdDecompress } from "./layer-stream.js";
import * as sut from "./module-search.js";
import { dir, file, image, layer, opaque, rawEntry, symlink, TAR_END, tarHeader, whiteout } from "../../test/support/layers.js";

const hasZstd = nodeZstdDecompress !== undefined;
const K = "5.14.0-284.11.1.el9_2.x86_64";
const MODS = `opt/lib/modules/${K}`;
const query = (over: Partial<sut.KernelModuleQuery> = {}): sut.KernelModuleQuery => ({ dirName: "/opt", kernel: K, moduleName: "kmm_ci_a", ...over });

describe("findKernelModule()", () => {
  describe("given the module in a subdirectory of the kernel's directory", () => {
    for (const sub of ["extra", "updates", "kernel/drivers/net/ethernet/acme", ""]) {
      it(`finds it in ${sub || "the kernel directory itself"}`, async () => {
        const path = `${MODS}/${sub ? `${sub}/` : ""}kmm_ci_a.ko`;
        const r = await sut.findKernelModule(image(await layer([file("opt/lib/modules/other.txt"), file(path)])), query());
        assert.deepEqual(r, { found: true, path, layerDigest: "sha256:layer0" });
      });
    }
  });

  describe("given ./-prefixed entries", () => {
    it("finds the module", async () => {
      const r = await sut.findKernelModule(image(await layer([dir("./"), dir("./opt/"), file(`./${MODS}/extra/kmm_ci_a.ko`)])), query());
      assert.deepEqual(r, { found: true, path: `${MODS}/extra/kmm_ci_a.ko`, layerDigest: "sha256:layer0" });
    });
  });

  describe("given compressed module files", () => {
    for (const suffix of [".ko.xz", ".ko.gz", ".ko.zst"]) {
      it(`finds kmm_ci_a${suffix}`, async () => {
        const r = await sut.findKernelModule(image(await layer([file(`${MODS}/extra/kmm_ci_a${suffix}`)])), query());
        assert.equal(r.found, true);
      });
    }
    for (const name of ["kmm_ci_a.ko.bak", "kmm_ci_a.kox", "kmm_ci_a.o", "kmm_ci_ab.ko", "xkmm_ci_a.ko", ".ko"]) {
      it(`does not take ${name} for the module`, async () => {
        const r = await sut.findKernelModule(image(await layer([file(`${MODS}/extra/${name}`)])), query());
        assert.equal(r.found, false);
      });
    }
    it("does not take a directory named kmm_ci_a.ko for the module", async () => {
      const r = await sut.findKernelModule(image(await layer([dir(`${MODS}/kmm_ci_a.ko`), file(`${MODS}/kmm_ci_a.ko/readme`)])), query());
      assert.equal(r.found, false);
    });
  });

  describe("given - and _ spelt differently", () => {
    const cases: [string, string][] = [
      ["kmm-ci-a", "kmm_ci_a.ko"],
      ["kmm_ci_a", "kmm-ci-a.ko.xz"],
      ["kmm-ci_a", "kmm_ci-a.ko"],
    ];
    for (const [moduleName, fileName] of cases) {
      it(`matches ${moduleName} with ${fileName}`, async () => {
        const r = await sut.findKernelModule(image(await layer([file(`${MODS}/extra/${fileName}`)])), query({ moduleName }));
        assert.deepEqual(r, { found: true, path: `${MODS}/extra/${fileName}`, layerDigest: "sha256:layer0" });
      });
    }
  });

  describe("given the module only under another kernel's directory", () => {
    it("is not found and lists the kernel directories the image has, and the modules of the right one", async () => {
      const layers = image(
        await layer([file("opt/lib/modules/5.14.0-70.el9.x86_64/extra/kmm_ci_a.ko"), dir("opt/lib/modules/6.0.0"), file("opt/lib/modules/modules.alias")]),
        await layer([file(`${MODS}/extra/other_mod.ko`), file(`${MODS}/modules.dep`)]),
      );
      const r = await sut.findKernelModule(layers, query());
      assert.deepEqual(r, { found: false, kernelDirs: ["5.14.0-284.11.1.el9_2.x86_64", "5.14.0-70.el9.x86_64", "6.0.0"], candidates: ["extra/other_mod.ko"] });
    });
    it("compares the kernel directory name exactly", async () => {
      const r = await sut.findKernelModule(image(await layer([file(`${MODS}.debug/extra/kmm_ci_a.ko`)])), query());
      assert.deepEqual(r, { found: false, kernelDirs: [`${K}.debug`] });
    });
    it("does not list a kernel directory hidden by a whiteout", async () => {
      const layers = image(await layer([file("opt/lib/modules/old/x.ko"), file("opt/lib/modules/new/y.ko")]), await layer([whiteout("opt/lib/modules/old")]));
      assert.deepEqual(await sut.findKernelModule(layers, query()), { found: false, kernelDirs: ["new"] });
    });
  });

  describe("given whiteouts in upper layers", () => {
    it("does not count a module whose file an upper layer whites out", async () => {
      const layers = image(await layer([dir(MODS), file(`${MODS}/extra/kmm_ci_a.ko`)]), await layer([whiteout(`${MODS}/extra/kmm_ci_a.ko`)]));
      assert.deepEqual(await sut.findKernelModule(layers, query()), { found: false, kernelDirs: [K] });
    });
    it("does not count a module below a whited-out parent directory", async () => {
      const layers = image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)]), await layer([whiteout("opt/lib")]));
      assert.deepEqual(await sut.findKernelModule(layers, query()), { found: false, kernelDirs: [] });
    });
    it("does not count a module below an opaque kernel directory", async () => {
      const layers = image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)]), await layer([dir(MODS), opaque(MODS), file(`${MODS}/modules.dep`)]));
      assert.equal((await sut.findKernelModule(layers, query())).found, false);
    });
    it("finds a module added in the same layer as the opaque marker", async () => {
      const layers = image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)]), await layer([opaque(MODS), file(`${MODS}/updates/kmm_ci_a.ko`)]));
      assert.deepEqual(await sut.findKernelModule(layers, query()), { found: true, path: `${MODS}/updates/kmm_ci_a.ko`, layerDigest: "sha256:layer1" });
    });
    it("finds a module re-added above its whiteout", async () => {
      const layers = image(
        await layer([file(`${MODS}/extra/kmm_ci_a.ko`)]),
        await layer([whiteout(`${MODS}/extra`)]),
        await layer([file(`${MODS}/extra/kmm_ci_a.ko.xz`)]),
      );
      assert.deepEqual(await sut.findKernelModule(layers, query()), { found: true, path: `${MODS}/extra/kmm_ci_a.ko.xz`, layerDigest: "sha256:layer2" });
    });
    it("stops without opening lower layers once the modules directory is hidden", async () => {
      const layers = image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)]), await layer([whiteout("opt")]));
      assert.equal((await sut.findKernelModule(layers, query())).found, false);
      assert.deepEqual(layers.map((l) => l.opened), [0, 1]);
    });
  });

  describe("given the module in the top layer", () => {
    it("never opens the lower layers", async () => {
      const layers = image(await layer([file("usr/bin/x")]), await layer([file(`${MODS}/extra/kmm_ci_a.ko`)]), await layer([file(`${MODS}/extra/kmm_ci_a.ko`), file("z")]));
      const r = await sut.findKernelModule(layers, query());
      assert.deepEqual(r, { found: true, path: `${MODS}/extra/kmm_ci_a.ko`, layerDigest: "sha256:layer2" });
      assert.deepEqual(layers.map((l) => l.opened), [0, 0, 1]);
    });
  });

  describe("given layer formats", () => {
    it("finds the module in an uncompressed layer", async () => {
      const r = await sut.findKernelModule(image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)], { compression: "none" })), query());
      assert.equal(r.found, true);
    });
    it("fails Corrupt for a damaged gzip layer", async () => {
      const gz = await layer([file(`${MODS}/extra/kmm_ci_a.ko`, "x".repeat(10_000))]);
      const damaged = Buffer.from(gz);
      damaged.fill(0x5a, 12, 40);
      await assert.rejects(sut.findKernelModule(image(damaged), query()), (e) => isImageCheckError(e, "Corrupt") && e.layerDigest === "sha256:layer0");
    });
    it("finds the module in a zstd layer on a Node with zstd", { skip: !hasZstd && `Node ${process.version} lacks zstd` }, async () => {
      const r = await sut.findKernelModule(image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)], { compression: "zstd" })), query());
      assert.deepEqual(r, { found: true, path: `${MODS}/extra/kmm_ci_a.ko`, layerDigest: "sha256:layer0" });
    });
    it("fails Unsupported for a zstd layer on a Node without zstd", { skip: hasZstd && `Node ${process.version} has zstd` }, async () => {
      const search = sut.findKernelModule(image(await layer([file(`${MODS}/extra/kmm_ci_a.ko`)], { compression: "zstd" })), query());
      await assert.rejects(search, (e) => isImageCheckError(e, "Unsupported") && e.layerDigest === "sha256:layer0");
    });
  });

  describe("given dirName spellings", () => {
    for (const dirName of ["/opt", "/opt/", "opt", "//opt//"]) {
      it(`finds the module with dirName ${JSON.stringify(dirName)}`, async () => {
        const r = await sut.findKernelModule(image(await layer([file(`${MODS}/kmm_ci_a.ko`)])), query({ dirName }));
        assert.equal(r.found, true);
      });
    }
    it("searches lib/modules at the image root for dirName /", async () => {
      const r = await sut.findKernelModule(image(await layer([file(`lib/modules/${K}/extra/kmm_ci_a.ko`), file(`${MODS}/x.ko`)])), query({ dirName: "/" }));
      assert.deepEqual(r, { found: true, path: `lib/modules/${K}/extra/kmm_ci_a.ko`, layerDigest: "sha256:layer0" });
    });
    it("does not search /opt for dirName /", async () => {
      const r = await sut.findKernelModule(image(await layer([file(`${MODS}/kmm_ci_a.ko`)])), query({ dirName: "/" }));
      assert.deepEqual(r, { found: false, kernelDirs: [] });
    });
  });

  describe("given symlinks", () => {
    it("follows a merged-/usr lib symlink", async () => {
      const layers = image(await layer([file(`usr/lib/modules/${K}/extra/kmm_ci_a.ko`)]), await layer([symlink("lib", "usr/lib")]));
      const r = await sut.findKernelModule(layers, query({ dirName: "/" }));
      assert.deepEqual(r, { found: true, path: `usr/lib/modules/${K}/extra/kmm_ci_a.ko`, layerDigest: "sha256:layer0" });
    });
    it("follows a symlinked kernel directory", async () => {
      const layers = image(await layer([file("opt/build/out/kmm_ci_a.ko"), symlink(MODS, "../../build/out")]));
      const r = await sut.findKernelModule(layers, query());
      assert.deepEqual(r, { found: true, path: "opt/build/out/kmm_ci_a.ko", layerDigest: "sha256:layer0" });
    });
    it("counts a module symlink that leads to a file", async () => {
      const layers = image(await layer([file("opt/src/kmm_ci_a.ko")]), await layer([symlink(`${MODS}/extra/kmm_ci_a.ko`, "/opt/src/kmm_ci_a.ko")]));
      const r = await sut.findKernelModule(layers, query());
      assert.deepEqual(r, { found: true, path: "opt/src/kmm_ci_a.ko", layerDigest: "sha256:layer0", linkedFrom: `${MODS}/extra/kmm_ci_a.ko` });
    });
    it("fails LinkLoop for a kernel directory that links to itself", async () => {
      const search = sut.findKernelModule(image(await layer([symlink(MODS, K)])), query());
      await assert.rejects(search, (e) => isImageCheckError(e, "LinkLoop"));
    });
    it("does not count a dangling module symlink", async () => {
      const r = await sut.findKernelModule(image(await layer([symlink(`${MODS}/extra/kmm_ci_a.ko`, "/nowhere.ko")])), query());
      assert.deepEqual(r, { found: false, kernelDirs: [K] });
    });
  });

  describe("given hostile input", () => {
    it("does not match names that climb out of the image or the kernel directory", async () => {
      const tar = Buffer.concat([
        rawEntry(`../../${MODS}/kmm_ci_a.ko`, "x"),
        rawEntry(`${MODS}/../../../../../${MODS}/../../x/kmm_ci_a.ko`, "x"),
        rawEntry(`${MODS}/../${K}x/kmm_ci_a.ko`, "x"),
        TAR_END,
      ]);
      assert.deepEqual(await sut.findKernelModule(image(tar), query()), { found: false, kernelDirs: [`${K}x`] });
    });
    it("rejects a kernel or module name that is not one path component", async () => {
      for (const over of [{ kernel: "../x" }, { kernel: "" }, { kernel: ".." }, { moduleName: "extra/kmm_ci_a" }]) {
        await assert.rejects(sut.findKernelModule([], query(over)), RangeError);
      }
    });
    it("fails Corrupt for an absurd size before the module instead of reporting it missing", async () => {
      const tar = Buffer.concat([tarHeader({ name: "opt/huge", size: 8 ** 11 - 1 }), Buffer.alloc(4096), TAR_END]);
      const layers = image(await layer([file(`${MODS}/kmm_ci_a.ko`)]), zlib.gzipSync(tar));
      await assert.rejects(sut.findKernelModule(layers, query()), (e) => isImageCheckError(e, "Corrupt") && e.layerDigest === "sha256:layer1");
    });
  });
});

describe("moduleNameOf()", () => {
  describe("given file names", () => {
    const cases: [string, string | undefined][] = [
      ["a.ko", "a"],
      ["a-b.ko.xz", "a-b"],
      ["a.ko.gz", "a"],
      ["a.ko.zst", "a"],
      ["a.ko.bz2", undefined],
      [".ko", undefined],
      ["a", undefined],
    ];
    for (const [name, want] of cases) it(`${name} → ${want}`, () => assert.equal(sut.moduleNameOf(name), want));
  });
});
