// The sign stage end to end against real registries (Debian's docker-registry with token auth, and a
// second one without): an unsigned image in, a signed image out (pushed only with --push), its signed
// files checked by modinfo and `openssl cms -verify`; the unsigned image unchanged.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Module, Sign } from "../src/api/index.js";
import { readFileFromLayers, resolvePathInLayers } from "../src/image-check/layered-fs.js";
import { layersOf } from "../src/image-check/registry-layers.js";
import { decodeTerminationMessage, type CheckResult } from "../src/jobs/termination-message.js";
import { MEDIA_TYPES, RegistryClient, credentialsFromDockerConfig, type ResolvedImage } from "../src/registry/index.js";
import { signModuleImage, type SignStageRequest, type SignStageResult } from "../src/sign-stage/sign-stage.js";
import { loadSigningKey } from "../src/sign/index.js";
import { elfModule } from "./support/elf-module.js";
import { file, layer, symlink } from "./support/layers.js";
import { modinfoField, opensslVerify, run, scratch } from "./support/module-verify.js";
import { pushImage, pushIndex, type PushedImage } from "./support/oci-image.js";
import { trackedClients } from "./support/registry-clients.js";
import { dockerConfigFor, startRegistry, type RunningRegistry } from "./support/registry.js";

const KERNEL = "5.14.0-427.26.1.el9_4.x86_64";
const MODULE_PATH = `opt/lib/modules/${KERNEL}/extra/my_driver.ko`;
const BUILDER = { username: "builder", password: "builder-secret-pw", pull: ["kmm/*"], push: ["kmm/*"] };

function moduleFor(host: string, over: { sign?: Partial<Sign>; image?: string } = {}): Module {
  return {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta1",
    kind: "Module",
    metadata: { name: "my-driver", namespace: "drivers" },
    spec: {
      selector: { "node-role.kubernetes.io/worker": "" },
      imageRepoSecret: { name: "registry-pull" },
      moduleLoader: {
        container: {
          modprobe: { moduleName: "my_driver" },
          kernelMappings: [
            {
              regexp: "^5\\.14\\.",
              containerImage: over.image ?? `${host}/kmm/my-driver:\${KERNEL_FULL_VERSION}`,
              sign: {
                unsignedImage: `${host}/kmm/my-driver-unsigned:\${KERNEL_FULL_VERSION}`,
                keySecret: { name: "signing-key" },
                certSecret: { name: "signing-cert" },
                filesToSign: [`/opt/lib/modules/\${KERNEL_FULL_VERSION}/extra/my_driver.ko`],
                ...over.sign,
              },
            },
          ],
        },
      },
    },
  } as Module;
}

/** `kmm-preflight sign` as a child process, every value one `--flag=value` argument, as the Job passes them. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli/main.ts", "sign", ...args], { timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the sign stage against a real registry", () => {
  let reg: RunningRegistry;
  let other: RunningRegistry;
  let s: Awaited<ReturnType<typeof scratch>>;
  let keyPath: string;
  let certPath: string;
  let otherCertPath: string;
  let pullSecret: string;
  let unsigned: PushedImage;
  const module = elfModule({ text: Buffer.from([0xc3, 0x90]) });
  const { clientFor } = trackedClients(() => ({ tls: () => ({ insecure: true }), retries: 0, credentials: credentialsFromDockerConfig(dockerConfigFor(reg, BUILDER)) }));

  const signingKey = async (cert = certPath) => loadSigningKey(await readFile(keyPath), await readFile(cert));
  const request = async (over: Partial<SignStageRequest> = {}): Promise<SignStageRequest> => ({ kernel: KERNEL, signingKey: await signingKey(), push: false, ...over });
  const sign = async (m: Module, over: Partial<SignStageRequest> = {}, client: RegistryClient = clientFor()): Promise<SignStageResult> =>
    signModuleImage(m, await request(over), { registry: client });

  /** The file at `p` in `image` as the merged filesystem shows it. */
  async function fileIn(image: ResolvedImage, p: string): Promise<Buffer | undefined> {
    return readFileFromLayers(layersOf(clientFor(), image, {}), p, { maxBytes: 1024 * 1024 });
  }

  before(async () => {
    [reg, other] = await Promise.all([startRegistry({ auth: "token", users: [BUILDER] }), startRegistry()]);
    s = await scratch();
    keyPath = path.join(s.dir, "signing.key");
    certPath = path.join(s.dir, "signing.crt");
    otherCertPath = path.join(s.dir, "other.crt");
    const req = (k: string, c: string, cn: string) => run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k, "-out", c, "-days", "30", "-subj", `/CN=${cn}`]);
    assert.equal((await req(keyPath, certPath, "Drivers Inc module signing")).code, 0);
    assert.equal((await req(path.join(s.dir, "other.key"), otherCertPath, "Someone else")).code, 0);
    pullSecret = await s.file("pull-secret.json", dockerConfigFor(reg, BUILDER));
    const base = await layer([file("usr/bin/modprobe", "")]);
    const modules = await layer([file(MODULE_PATH, module), file(`opt/lib/modules/${KERNEL}/extra/helper.ko`, elfModule({ text: "helper" })), file(`opt/lib/modules/${KERNEL}/modules.dep`, "")]);
    unsigned = await pushImage(reg, "kmm/my-driver-unsigned", KERNEL, { layers: [base, modules], config: { created: "2026-11-01T10:00:00Z", history: [{ created_by: "base" }, { created_by: "COPY modules" }] } });
  });
  after(async () => {
    await Promise.all([reg?.stop(), other?.stop()]);
    await s?.done();
  });

  describe("kmm-preflight sign without --push (pushBuiltImage false)", () => {
    it("signs, reports true with the digest the signed image would have, pushes nothing, exit 0", async () => {
      const m = await s.file("module.json", JSON.stringify(moduleFor(reg.host)));
      const tm = path.join(s.dir, "termination-log-nopush");
      const r = await cli([`--module=${m}`, `--kernel=${KERNEL}`, `--key=${keyPath}`, `--cert=${certPath}`, `--pull-secret=${pullSecret}`, `--insecure-registry=${reg.host}`, "--output=json", `--termination-message-path=${tm}`]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const decoded = decodeTerminationMessage(await readFile(tm, "utf8"));
      assert.ok(decoded.ok, decoded.ok ? "" : decoded.error);
      const [result] = decoded.results;
      assert.equal(result?.verificationStatus, "true");
      assert.equal(result?.image, `${reg.host}/kmm/my-driver:${KERNEL}`);
      assert.match(result?.digest ?? "", /^sha256:[0-9a-f]{64}$/);
      assert.match(result!.reason, new RegExp(`signed /${MODULE_PATH} .* with sha256, signer CN=Drivers Inc module signing; not pushed \\(no --push: pushBuiltImage is false\\)`));
      await assert.rejects(clientFor().getImage(`${reg.host}/kmm/my-driver:${KERNEL}`), /does not exist|unknown/);
    });
  });

  describe("kmm-preflight sign --push", () => {
    let result: CheckResult;
    let signed: ResolvedImage;

    before(async () => {
      const m = await s.file("module-push.json", JSON.stringify(moduleFor(reg.host)));
      const tm = path.join(s.dir, "termination-log-push");
      const r = await cli([`--module=${m}`, `--kernel=${KERNEL}`, `--key=${keyPath}`, `--cert=${certPath}`, "--push", `--pull-secret=${pullSecret}`, `--insecure-registry=${reg.host}`, `--termination-message-path=${tm}`]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /verdict: {2}true \(sign stage\)/);
      const decoded = decodeTerminationMessage(await readFile(tm, "utf8"));
      assert.ok(decoded.ok);
      result = decoded.results[0]!;
      signed = await clientFor().getImage(`${reg.host}/kmm/my-driver:${KERNEL}`);
    });

    it("pushes the signed image to containerImage, under the digest it reports", () => {
      assert.equal(result.verificationStatus, "true");
      assert.match(result.reason, new RegExp(`pushed to ${reg.host}/kmm/my-driver:${KERNEL.replaceAll(".", "\\.")} \\(${result.digest}\\)`));
      assert.equal(signed.manifestDigest, result.digest);
    });

    it("is the unsigned image plus one layer: same layers below, config with one more diff_id and history entry", async () => {
      assert.deepEqual(signed.manifest.layers.slice(0, -1), unsigned.layers);
      assert.equal(signed.manifest.layers.at(-1)?.mediaType, MEDIA_TYPES.ociLayerGzip);
      assert.equal(signed.manifest.mediaType, MEDIA_TYPES.ociManifest);
      const chunks: Buffer[] = [];
      for await (const c of await clientFor().openBlob(signed.ref, signed.manifest.config)) chunks.push(c as Buffer);
      const config = JSON.parse(Buffer.concat(chunks).toString()) as { rootfs: { diff_ids: string[] }; history: { created_by: string }[]; created: string };
      assert.equal(config.rootfs.diff_ids.length, 3);
      assert.deepEqual(config.history.map((h) => h.created_by), ["base", "COPY modules", "kmm-preflight sign"]);
      assert.equal(config.created, "2026-11-01T10:00:00Z");
    });

    it("holds the signed module: modinfo names the signer, openssl verifies it against the certificate", async () => {
      const bytes = await fileIn(signed, MODULE_PATH);
      assert.ok(bytes);
      const f = await s.file("from-image.ko", bytes);
      assert.equal(await modinfoField(f, "signer"), "Drivers Inc module signing");
      assert.equal(await modinfoField(f, "sig_hashalgo"), "sha256");
      const ok = await opensslVerify(bytes, await readFile(certPath));
      assert.equal(ok.code, 0, ok.stderr);
      assert.notEqual((await opensslVerify(bytes, await readFile(otherCertPath))).code, 0);
      // The files not listed in filesToSign are untouched.
      assert.deepEqual(await fileIn(signed, `opt/lib/modules/${KERNEL}/extra/helper.ko`), elfModule({ text: "helper" }));
    });

    it("leaves the unsigned image as it was", async () => {
      const again = await clientFor().getImage(`${reg.host}/kmm/my-driver-unsigned:${KERNEL}`);
      assert.equal(again.manifestDigest, unsigned.digest);
      assert.deepEqual(await fileIn(again, MODULE_PATH), module);
    });

    it("gives the same digest when signing the same image again (reproducible)", async () => {
      const r = await sign(moduleFor(reg.host));
      assert.equal(r.digest, result.digest);
    });
  });

  describe("given an output image on another registry", () => {
    it("copies the unsigned image's layers there (streamed) and pushes the signed image", async () => {
      const client = clientFor();
      const r = await sign(moduleFor(reg.host, { image: `${other.host}/mirror/my-driver:${KERNEL}` }), { push: true }, client);
      assert.equal(r.verificationStatus, "true", r.reason);
      const copied = await client.getImage(`${other.host}/mirror/my-driver:${KERNEL}`);
      assert.equal(copied.manifestDigest, r.digest);
      const bytes = await fileIn(copied, MODULE_PATH);
      assert.equal((await opensslVerify(bytes!, await readFile(certPath))).code, 0);
    });
  });

  describe("given a Docker v2 image whose module directory is a symlink", () => {
    it("keeps the Docker media types and writes the signed file inside the real directory, keeping the symlink", async () => {
      await pushImage(reg, "kmm/linked-unsigned", KERNEL, {
        format: "docker",
        layers: [await layer([file("usr/lib/driver-mods/my_driver.ko", module)]), await layer([symlink(`opt/lib/modules/${KERNEL}/extra`, "/usr/lib/driver-mods")])],
      });
      const client = clientFor();
      const r = await sign(moduleFor(reg.host, { image: `${reg.host}/kmm/linked:${KERNEL}`, sign: { unsignedImage: `${reg.host}/kmm/linked-unsigned:${KERNEL}` } }), { push: true }, client);
      assert.equal(r.verificationStatus, "true", r.reason);
      const out = await client.getImage(`${reg.host}/kmm/linked:${KERNEL}`);
      assert.equal(out.manifest.mediaType, MEDIA_TYPES.dockerManifest);
      assert.equal(out.manifest.layers.at(-1)?.mediaType, MEDIA_TYPES.dockerLayerGzip);
      const layers = layersOf(client, out, {});
      assert.equal((await resolvePathInLayers(layers, `opt/lib/modules/${KERNEL}/extra`))?.path, "usr/lib/driver-mods");
      const bytes = await readFileFromLayers(layers, MODULE_PATH);
      assert.equal((await opensslVerify(bytes!, await readFile(certPath))).code, 0);
    });
  });

  describe("given a multi-arch index", () => {
    it("signs the platform's image (linux/amd64 unless asked otherwise)", async () => {
      const amd64 = await pushImage(reg, "kmm/multi-unsigned", "amd64", { layers: [await layer([file(MODULE_PATH, module)])] });
      const arm64 = await pushImage(reg, "kmm/multi-unsigned", "arm64", { layers: [await layer([file(MODULE_PATH, elfModule({ text: "arm64" }))])], platform: { os: "linux", architecture: "arm64" } });
      await pushIndex(reg, "kmm/multi-unsigned", KERNEL, { "linux/amd64": amd64, "linux/arm64": arm64 });
      const m = moduleFor(reg.host, { image: `${reg.host}/kmm/multi:${KERNEL}`, sign: { unsignedImage: `${reg.host}/kmm/multi-unsigned:${KERNEL}` } });
      const amd = await sign(m);
      assert.equal(amd.verificationStatus, "true", amd.reason);
      const client = new RegistryClient({ tls: () => ({ insecure: true }), retries: 0, credentials: credentialsFromDockerConfig(dockerConfigFor(reg, BUILDER)), platform: { os: "linux", architecture: "arm64" } });
      try {
        const arm = await sign(m, { push: true }, client);
        assert.equal(arm.verificationStatus, "true", arm.reason);
        const out = await client.getImage(`${reg.host}/kmm/multi:${KERNEL}`);
        assert.deepEqual(out.manifest.layers[0], arm64.layers[0]);
        assert.notEqual(arm.digest, amd.digest);
      } finally {
        await client.close();
      }
    });
  });

  describe("given a module in the image that is already signed with another key", () => {
    it("replaces the signature and says so", async () => {
      const first = await sign(moduleFor(reg.host, { image: `${reg.host}/kmm/resign-unsigned:${KERNEL}` }), { push: true });
      assert.equal(first.verificationStatus, "true", first.reason);
      const r = await sign(moduleFor(reg.host, { image: `${reg.host}/kmm/resigned:${KERNEL}`, sign: { unsignedImage: `${reg.host}/kmm/resign-unsigned:${KERNEL}` } }), { push: true });
      assert.equal(r.verificationStatus, "true", r.reason);
      assert.match(r.reason, /replacing the signature/);
      const bytes = await fileIn(await clientFor().getImage(`${reg.host}/kmm/resigned:${KERNEL}`), MODULE_PATH);
      assert.equal((await opensslVerify(bytes!, await readFile(certPath))).code, 0);
    });
  });

  describe("given what the Module gets wrong (false, exit 1)", () => {
    it("names a file to sign the image does not hold, and lists what the kernel's directory holds", async () => {
      const r = await sign(moduleFor(reg.host, { sign: { filesToSign: [`/opt/lib/modules/${KERNEL}/extra/missing.ko`] } }));
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, new RegExp(`/opt/lib/modules/${KERNEL.replaceAll(".", "\\.")}/extra/missing\\.ko is not in the unsigned image`));
      assert.match(r.reason, /holds extra\/helper\.ko, extra\/my_driver\.ko, modules\.dep$/);
    });

    it("says when the key does not belong to the certificate, naming both Secrets", async () => {
      const m = await s.file("module-mismatch.json", JSON.stringify(moduleFor(reg.host)));
      const r = await cli([`--module=${m}`, `--kernel=${KERNEL}`, `--key=${keyPath}`, `--cert=${otherCertPath}`, `--pull-secret=${pullSecret}`, `--insecure-registry=${reg.host}`, "-o", "json"]);
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout) as { results: SignStageResult[] };
      assert.match(out.results[0]!.reason, /^keySecret signing-key and certSecret signing-cert: the private key does not belong to the certificate/);
    });

    it("says when the unsigned image does not exist", async () => {
      const r = await sign(moduleFor(reg.host, { sign: { unsignedImage: `${reg.host}/kmm/my-driver-unsigned:no-such-tag` } }));
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /^unsigned image .* does not exist/);
    });

    it("says when no sign section applies", async () => {
      const m = moduleFor(reg.host);
      delete m.spec.moduleLoader!.container.kernelMappings[0]!.sign;
      const r = await sign(m);
      assert.equal(r.verificationStatus, "false");
      assert.match(r.reason, /no sign section applies to kernel/);
    });
  });

  describe("given no access (error, exit 2)", () => {
    it("advises spec.imageRepoSecret when the registry wants credentials", async () => {
      const m = await s.file("module-noauth.json", JSON.stringify(moduleFor(reg.host)));
      const r = await cli([`--module=${m}`, `--kernel=${KERNEL}`, `--key=${keyPath}`, `--cert=${certPath}`, `--insecure-registry=${reg.host}`, "-o", "json"]);
      assert.equal(r.code, 2, r.stderr);
      const out = JSON.parse(r.stdout) as { results: SignStageResult[] };
      assert.equal(out.results[0]!.verificationStatus, "error");
      assert.match(out.results[0]!.reason, /is not accessible: .*spec\.imageRepoSecret/);
    });
  });

  describe("given hostile values in filesToSign and image names", () => {
    const hostile = `/opt/lib/modules/${KERNEL}/extra/my drv;$(touch /tmp/kmm-preflight-pwned) --push\n.ko`;
    before(async () => {
      await pushImage(reg, "kmm/hostile-unsigned", KERNEL, { layers: [await layer([file(hostile.slice(1), module)])] });
    });

    it("signs a file whose name holds spaces, ;, $(), a newline and a --flag look-alike, as data", async () => {
      const r = await sign(moduleFor(reg.host, { image: `${reg.host}/kmm/hostile:${KERNEL}`, sign: { unsignedImage: `${reg.host}/kmm/hostile-unsigned:${KERNEL}`, filesToSign: [hostile] } }), { push: true });
      assert.equal(r.verificationStatus, "true", r.reason);
      const bytes = await fileIn(await clientFor().getImage(`${reg.host}/kmm/hostile:${KERNEL}`), hostile);
      assert.equal((await opensslVerify(bytes!, await readFile(certPath))).code, 0);
      assert.equal(existsSync("/tmp/kmm-preflight-pwned"), false);
    });

    it("takes an image name that looks like a flag as a (bad) name, and pushes nothing", async () => {
      const m = await s.file("module-hostile.json", JSON.stringify(moduleFor(reg.host)));
      const r = await cli([`--module=${m}`, `--kernel=${KERNEL}`, `--key=${keyPath}`, `--cert=${certPath}`, "--output-image=--push", `--unsigned-image=${reg.host}/kmm/x:$(id);ls`, `--pull-secret=${pullSecret}`, "-o", "json"]);
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout) as { results: SignStageResult[] };
      assert.match(out.results[0]!.reason, /is not a valid image reference/);
    });
  });
});
