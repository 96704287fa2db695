import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Module } from "../src/api/index.js";
import type { TLSOptions } from "../src/api/module.js";
import { checkModuleImage } from "../src/image-check/image-stage.js";
import { RegistryClient, credentialsFromDockerConfig, type RegistryClientOptions } from "../src/registry/index.js";
import { ReleaseKernelError, ReleaseKernelResolver } from "../src/release/release-kernel.js";
import { pushFakeRelease, type FakeRelease } from "./support/fake-release.js";
import { file, layer, tarOf, whiteout } from "./support/layers.js";
import { pushImage } from "./support/oci-image.js";
import { trackedClients } from "./support/registry-clients.js";
import { closedPort } from "./support/registry-proxy.js";
import { dockerConfigFor, startRegistry, type RunningRegistry } from "./support/registry.js";

// The image stage end to end against a real registry (Debian's docker-registry on loopback).

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
const RT_KERNEL = "5.14.0-427.26.1.el9_4.x86_64+rt";

function moduleFor(host: string, over: Partial<{ name: string; moduleName: string; image: string; regexp: string; dirName: string; registryTLS: TLSOptions }> = {}): Module {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: over.name ?? "my-driver", namespace: "drivers" },
    spec: {
      selector: { "node-role.kubernetes.io/worker": "" },
      moduleLoader: {
        container: {
          modprobe: { moduleName: over.moduleName ?? "my-driver", ...(over.dirName && { dirName: over.dirName }) },
          ...(over.registryTLS && { registryTLS: over.registryTLS }),
          kernelMappings: [
            { regexp: "^4\\.18\\.", containerImage: `${host}/kmm/old:never` },
            { regexp: over.regexp ?? "^5\\.14\\.", containerImage: over.image ?? `${host}/kmm/\${MOD_NAME}:\${KERNEL_FULL_VERSION}` },
          ],
        },
      },
    },
  } as Module;
}

/** `kmm-preflight check` as a child process. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", "check", ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function writeModules(dir: string, name: string, modules: Module[]): Promise<string> {
  const f = path.join(dir, name);
  // YAML documents (JSON is YAML): a stream that starts with { would be read, as kubectl reads it, as JSON objects only.
  await writeFile(f, `---\n${modules.map((m) => JSON.stringify(m)).join("\n---\n")}`);
  return f;
}

/** Reaches `host` over plain HTTP, as `--insecure-registry host` does. */
const plainHttp = (host: string): RegistryClientOptions["tls"] => (r) => (r === host ? { insecure: true } : undefined);

describe("image stage against a real registry", () => {
  let reg: RunningRegistry;
  let release: FakeRelease;
  let registry: RegistryClient;
  const { clientFor } = trackedClients();
  const deps = () => ({ registry });

  before(async () => {
    reg = await startRegistry();
    registry = clientFor({ tls: plainHttp(reg.host) });
    release = await pushFakeRelease(reg, { tag: "4.16.3", kernel: KERNEL, rtKernel: RT_KERNEL });
    const base = await layer([file("usr/bin/modprobe", "")]);
    const withModule = await layer([file(`opt/lib/modules/${KERNEL}/extra/my_driver.ko`, "\x7fELF")]);
    // A plain (uncompressed) top layer, as some build tools produce.
    const unrelated = await tarOf([file("etc/motd", "hi\n")]);
    await pushImage(reg, "kmm/my-driver", KERNEL, { layers: [base, withModule, unrelated] });
    await pushImage(reg, "kmm/deleted", KERNEL, { layers: [base, withModule, await tarOf([whiteout(`opt/lib/modules/${KERNEL}/extra/my_driver.ko`)])] });
    await pushImage(reg, "kmm/wrong-kernel", KERNEL, { layers: [base, await layer([file("opt/lib/modules/5.14.0-284.el9.x86_64/extra/my_driver.ko")])] });
  });
  after(() => reg.stop());

  describe("checkModuleImage()", () => {
    it("verifies a Module whose image holds the module in a subdirectory, spelled with _ for -", async () => {
      const r = await checkModuleImage(moduleFor(reg.host), KERNEL, deps());
      assert.equal(r.verificationStatus, "true", r.reason);
      assert.equal(r.path, `/opt/lib/modules/${KERNEL}/extra/my_driver.ko`);
      assert.equal(r.mappingIndex, 1);
      assert.equal(r.image, `${reg.host}/kmm/my-driver:${KERNEL}`);
      assert.match(r.digest!, /^sha256:[0-9a-f]{64}$/);
    });

    it("fails when the image for the kernel does not exist", async () => {
      const r = await checkModuleImage(moduleFor(reg.host, { image: `${reg.host}/kmm/my-driver:no-such-tag` }), KERNEL, deps());
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /^image does not exist: .*no-such-tag/);
    });

    it("fails when an upper layer's whiteout deleted the module", async () => {
      const r = await checkModuleImage(moduleFor(reg.host, { image: `${reg.host}/kmm/deleted:${KERNEL}` }), KERNEL, deps());
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /does not contain my-driver\.ko/);
    });

    it("fails naming the kernel directories the image does have", async () => {
      const r = await checkModuleImage(moduleFor(reg.host, { image: `${reg.host}/kmm/wrong-kernel:${KERNEL}` }), KERNEL, deps());
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /lib\/modules\/ holds 5\.14\.0-284\.el9\.x86_64/);
    });

    it("fails with upstream's words when no kernel mapping matches", async () => {
      const r = await checkModuleImage(moduleFor(reg.host, { regexp: "^6\\." }), KERNEL, deps());
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, new RegExp(`failed to find mapping for kernel ${KERNEL.replace(/\./g, "\\.")}: kernel mapping not found`));
    });

    it("skips a Module with no moduleLoader, and does not crash on it", async () => {
      const m = { ...moduleFor(reg.host), spec: { selector: {} } } as Module;
      const r = await checkModuleImage(m, KERNEL, deps());
      assert.equal(r.skipped, true);
    });

    it("gives a malformed Module a verdict naming the bad field instead of throwing", async () => {
      const m = moduleFor(reg.host);
      const container = m.spec.moduleLoader!.container as unknown as Record<string, unknown>;
      container["sign"] = { filesToSign: 5, keySecret: { name: "k" }, certSecret: { name: "c" } };
      (container["kernelMappings"] as Record<string, unknown>[])[1]!["sign"] = { filesToSign: ["x"] };
      const r = await checkModuleImage(m, KERNEL, deps());
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /^spec\.moduleLoader\.container\.sign\.filesToSign: Invalid value: 5: must be a list of strings$/);
    });

    it("fails a moduleName that is a path, naming the field", async () => {
      const r = await checkModuleImage(moduleFor(reg.host, { moduleName: "nvidia/peermem" }), KERNEL, deps());
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /^spec\.moduleLoader\.container\.modprobe\.moduleName "nvidia\/peermem" must be a module name/);
    });

    it("reports an unreachable registry as an error, not a failure", async () => {
      const host = `127.0.0.1:${await closedPort()}`;
      const c = clientFor({ tls: plainHttp(host), retries: 1, backoff: { initialMs: 10, maxMs: 20 } });
      const r = await checkModuleImage(moduleFor(host), KERNEL, { registry: c });
      assert.equal(r.verificationStatus, "error");
      assert.match(r.reason, /could not be checked/);
    });

    it("applies each Module's own registryTLS through the one client it is given", async () => {
      const c = clientFor({ retries: 0 });
      const plain = await checkModuleImage(moduleFor(reg.host, { registryTLS: { insecure: true } }), KERNEL, { registry: c });
      assert.equal(plain.verificationStatus, "true", plain.reason);
      const verified = await checkModuleImage(moduleFor(reg.host), KERNEL, { registry: c });
      assert.equal(verified.verificationStatus, "error");
      assert.match(verified.reason, /^image could not be checked: .*TLS handshake .*\(the Module's registryTLS\.insecure reaches a plain-HTTP registry\)$/);
    });
  });

  describe("ReleaseKernelResolver", () => {
    it("reads the kernel from the release's driver-toolkit image, standard and real-time", async () => {
      const client = new RegistryClient({ tls: () => ({ insecure: true }) });
      try {
        const resolver = new ReleaseKernelResolver(client);
        const k = await resolver.resolve(release.releaseImage, false);
        assert.equal(k.kernel, KERNEL);
        assert.equal(k.driverToolkitImage, release.driverToolkitImage);
        assert.equal((await resolver.resolve(release.releaseImage, true)).kernel, RT_KERNEL);
      } finally {
        await client.close();
      }
    });

    it("reads the release's layers once per digest and flavour", async () => {
      const client = new RegistryClient({ tls: () => ({ insecure: true }) });
      let blobs = 0;
      const open = client.openBlob.bind(client);
      client.openBlob = (...args) => ((blobs += 1), open(...args));
      try {
        const resolver = new ReleaseKernelResolver(client);
        await resolver.resolve(release.releaseImage, false);
        const first = blobs;
        await Promise.all([resolver.resolve(release.releaseImage, false), resolver.resolve(release.releaseImage, false)]);
        assert.ok(first > 0);
        assert.equal(blobs, first);
        // The same release by digest: served from the cache, under the name this caller used.
        const k = await resolver.resolve(release.releaseImage, false);
        const byDigest = `${reg.host}/ocp/release@${k.releaseDigest}`;
        assert.equal((await resolver.resolve(byDigest, false)).releaseImage, byDigest);
        assert.equal(blobs, first);
      } finally {
        await client.close();
      }
    });

    it("says so when the image is not an OpenShift release", async () => {
      const other = await pushFakeRelease(reg, { tag: "not-a-release", kernel: KERNEL, omitImageReferences: true });
      const client = new RegistryClient({ tls: () => ({ insecure: true }) });
      try {
        await assert.rejects(new ReleaseKernelResolver(client).resolve(other.releaseImage, false), (e: unknown) => e instanceof ReleaseKernelError && /image-references/.test(e.message));
      } finally {
        await client.close();
      }
    });

    it("says the release may have no RT kernel when RT_KERNEL_VERSION is empty", async () => {
      const noRt = await pushFakeRelease(reg, { tag: "no-rt", kernel: KERNEL });
      const client = new RegistryClient({ tls: () => ({ insecure: true }) });
      try {
        await assert.rejects(new ReleaseKernelResolver(client).resolve(noRt.releaseImage, true), /RT_KERNEL_VERSION/);
      } finally {
        await client.close();
      }
    });
  });

  describe("kmm-preflight check", () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-check-"));
    });
    after(() => rm(dir, { recursive: true, force: true }));
    const moduleFile = (name: string, modules: Module[]) => writeModules(dir, name, modules);

    it("prints kernel, mapping, image and verdict per Module and exits 0 when all are verified", async () => {
      const f = await moduleFile("ok.yaml", [moduleFor(reg.host)]);
      const term = path.join(dir, "termination-log");
      const r = await cli(["--module", f, "--release-image", release.releaseImage, "--insecure-registry", reg.host, "--termination-message-path", term]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^kernel: ${KERNEL.replace(/\./g, "\\.")} \\(${release.releaseImage.replace(/\./g, "\\.")}`, "m"));
      assert.match(r.stdout, /Module drivers\/my-driver\n  mapping:  spec\.moduleLoader\.container\.kernelMappings\[1\]\n  image:    .*kmm\/my-driver:/);
      assert.match(r.stdout, /verdict:  true \(image stage\)/);
      const message = JSON.parse(await readFile(term, "utf8"));
      assert.equal(message.kernel, KERNEL);
      assert.equal(message.results[0].verificationStatus, "true");
    });

    it("exits 1 when a Module fails, with --kernel and JSON output", async () => {
      const f = await moduleFile("mixed.yaml", [moduleFor(reg.host), moduleFor(reg.host, { name: "gone", image: `${reg.host}/kmm/deleted:${KERNEL}` })]);
      const r = await cli(["--module", f, "--kernel", KERNEL, "--insecure-registry", reg.host, "--output", "json"]);
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.results.map((x: { name: string; verificationStatus: string }) => [x.name, x.verificationStatus]), [["my-driver", "true"], ["gone", "false"]]);
    });

    it("exits 2 when the release image cannot be read", async () => {
      const f = await moduleFile("ok2.yaml", [moduleFor(reg.host)]);
      const r = await cli(["--module", f, "--release-image", `${reg.host}/ocp/release:missing`, "--insecure-registry", reg.host]);
      assert.equal(r.code, 2);
      assert.match(r.stdout, /error: cannot tell the kernel of .*ocp\/release:missing/);
    });

    it("still checks and reports every other Module when one is malformed, termination message included", async () => {
      const bad = moduleFor(reg.host, { name: "bad" });
      (bad.spec.moduleLoader!.container as unknown as Record<string, unknown>)["build"] = { buildArgs: "x", dockerfileConfigMap: { name: "d" } };
      ((bad.spec.moduleLoader!.container as unknown as Record<string, unknown>)["kernelMappings"] as Record<string, unknown>[])[1]!["build"] = { buildArgs: [{ name: "A", value: "1" }] };
      const f = await moduleFile("one-bad.yaml", [moduleFor(reg.host), bad]);
      const term = path.join(dir, "termination-log-2");
      const r = await cli(["--module", f, "--kernel", KERNEL, "--insecure-registry", reg.host, "--termination-message-path", term, "-o", "json"]);
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.results.map((x: { name: string; verificationStatus: string }) => [x.name, x.verificationStatus]), [["my-driver", "true"], ["bad", "false"]]);
      assert.match(out.results[1].reason, /spec\.moduleLoader\.container\.build\.buildArgs: Invalid value: "x": must be a list of name\/value pairs/);
      assert.equal(JSON.parse(await readFile(term, "utf8")).results.length, 2);
    });

    it("exits 2 for a --kernel that is not a kernel version, blaming the flag rather than the Modules", async () => {
      const f = await moduleFile("ok3.yaml", [moduleFor(reg.host)]);
      const r = await cli(["--module", f, "--kernel", "5.14", "--insecure-registry", reg.host, "-o", "json"]);
      assert.equal(r.code, 2);
      const out = JSON.parse(r.stdout);
      assert.deepEqual(out.results, []);
      assert.match(out.errors[0], /^--kernel: invalid kernel version 5\.14: expected at least three components/);
    });

    it("exits 2 with usage help for contradictory flags", async () => {
      const r = await cli(["--module", "x.yaml", "--kernel", KERNEL, "--release-image", release.releaseImage]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /exactly one of --release-image <ref> or --kernel <version>/);
    });
  });
});

describe("image stage with an authenticating registry", () => {
  let reg: RunningRegistry;
  let release: FakeRelease;
  let dir: string;
  const { clientFor } = trackedClients();
  const tokenRequestsFor = (scope: string) => reg.tokenServer!.requests.filter((r) => r.scopes.includes(scope));
  before(async () => {
    reg = await startRegistry({ auth: "token" });
    dir = await mkdtemp(path.join(tmpdir(), "kmm-preflight-check-auth-"));
    await pushImage(reg, "kmm/my-driver", KERNEL, { layers: [await layer([file(`opt/lib/modules/${KERNEL}/my_driver.ko.xz`)])] });
    release = await pushFakeRelease(reg, { tag: "4.16.3", kernel: KERNEL });
  });
  after(async () => {
    await reg.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("reports missing credentials as an error that points at spec.imageRepoSecret", async () => {
    const r = await checkModuleImage(moduleFor(reg.host), KERNEL, { registry: clientFor({ tls: plainHttp(reg.host) }) });
    assert.equal(r.verificationStatus, "error");
    assert.match(r.reason, /^image is not accessible: .*requires credentials.* \(spec\.imageRepoSecret must name a kubernetes\.io\/dockerconfigjson Secret that can pull it\)$/);
  });

  it("verifies with the Module's pull secret (a compressed .ko.xz)", async () => {
    const r = await checkModuleImage(moduleFor(reg.host), KERNEL, { registry: clientFor({ tls: plainHttp(reg.host), credentials: credentialsFromDockerConfig(dockerConfigFor(reg)) }) });
    assert.equal(r.verificationStatus, "true", r.reason);
    assert.equal(r.path, `/opt/lib/modules/${KERNEL}/my_driver.ko.xz`);
  });

  it("kmm-preflight check shares one client across Modules: two Modules of one repository fetch one token", async () => {
    const secret = path.join(dir, "pull-secret.json");
    await writeFile(secret, dockerConfigFor(reg));
    const image = `${reg.host}/kmm/my-driver:${KERNEL}`;
    const f = await writeModules(dir, "two.yaml", [moduleFor(reg.host, { name: "a", image }), moduleFor(reg.host, { name: "b", image })]);
    const scope = "repository:kmm/my-driver:pull";
    const before = tokenRequestsFor(scope).length;
    const r = await cli(["--module", f, "--kernel", KERNEL, "--insecure-registry", reg.host, "--pull-secret", secret, "-o", "json"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).results.map((x: { verificationStatus: string }) => x.verificationStatus), ["true", "true"]);
    assert.equal(tokenRequestsFor(scope).length - before, 1);
  });

  it("kmm-preflight check --release-image reports a release it may not read in the registry's words, without a Module's advice", async () => {
    const f = await writeModules(dir, "one.yaml", [moduleFor(reg.host)]);
    const r = await cli(["--module", f, "--release-image", release.releaseImage, "--insecure-registry", reg.host]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const line = r.stdout.split("\n").find((l) => l.startsWith("error: cannot tell the kernel of"));
    assert.match(line ?? "", /requires credentials for ocp\/release/);
    assert.doesNotMatch(line ?? "", /imageRepoSecret|Module|registryTLS/);
  });
});
