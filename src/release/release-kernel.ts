import { layersOf } from "../image-check/registry-layers.js";
import { readFileFromLayers } from "../image-check/layered-fs.js";
import {
  DRIVER_TOOLKIT_RELEASE_PATH,
  IMAGE_REFERENCES_PATH,
  driverToolkitImageFromImageReferences,
  kernelFromDriverToolkitRelease,
} from "../kernel/release-info.js";
import type { RegistryClient } from "../registry/index.js";

// The kernel an OpenShift release ships: release image → release-manifests/image-references →
// the driver-toolkit image → etc/driver-toolkit-release.json → KERNEL_VERSION (or RT_KERNEL_VERSION).

export interface ReleaseKernel {
  readonly releaseImage: string;
  /** What the release image resolved to; the cache key, so a moved tag is looked up again. */
  readonly releaseDigest: string;
  readonly driverToolkitImage: string;
  readonly kernel: string;
  readonly rt: boolean;
  readonly rhelVersion?: string;
}

/** The release image could not be read or does not look like an OpenShift release. */
export class ReleaseKernelError extends Error {
  override readonly name = "ReleaseKernelError";
}

/**
 * Why the kernel of a release is unknown, for a status reason or the CLI. The release is named once: the
 * registry's errors and the resolver's already start with it, and a reason has 1024 characters at most.
 */
export function describeKernelFailure(releaseImage: string, rt: boolean, why: string): string {
  const detail = why.startsWith(`${releaseImage}: `) ? why.slice(releaseImage.length + 2) : why;
  return `cannot tell the kernel of ${releaseImage}${rt ? " (real-time)" : ""}: ${detail}`;
}

/** Both files are small JSON documents; anything bigger is not what we are looking for. */
const MAX_RELEASE_FILE_BYTES = 8 * 1024 * 1024;

export interface ReleaseKernelResolverOptions {
  /** Cached lookups, by release digest and kernel flavour; the oldest is dropped first. @default 32 */
  readonly maxEntries?: number;
}

/** Looks kernels up once per release digest and flavour; concurrent lookups of the same release share one. */
export class ReleaseKernelResolver {
  readonly #client: RegistryClient;
  readonly #maxEntries: number;
  readonly #cache = new Map<string, Promise<ReleaseKernel>>();

  constructor(client: RegistryClient, opts: ReleaseKernelResolverOptions = {}) {
    this.#client = client;
    this.#maxEntries = opts.maxEntries ?? 32;
  }

  async resolve(releaseImage: string, useRTKernel: boolean): Promise<ReleaseKernel> {
    const release = await this.#client.getImage(releaseImage);
    const key = `${release.manifestDigest}|${useRTKernel}`;
    let lookup = this.#cache.get(key);
    if (!lookup) {
      const started = this.#lookup(releaseImage, release.digest, layersOf(this.#client, release), useRTKernel);
      lookup = started;
      this.#cache.set(key, started);
      // A failed lookup (registry down) is not remembered, so the next call tries again; a newer entry stays.
      started.catch(() => this.#cache.get(key) === started && this.#cache.delete(key));
      if (this.#cache.size > this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    }
    // The same release may be named by tag or by digest: answer with the name this caller used.
    return { ...(await lookup), releaseImage };
  }

  async #lookup(releaseImage: string, releaseDigest: string, layers: ReturnType<typeof layersOf>, rt: boolean): Promise<ReleaseKernel> {
    const refs = await readFileFromLayers(layers, IMAGE_REFERENCES_PATH, { maxBytes: MAX_RELEASE_FILE_BYTES });
    if (!refs) throw new ReleaseKernelError(`${releaseImage}: no ${IMAGE_REFERENCES_PATH} in the image; is it an OpenShift release image?`);
    const dtk = driverToolkitImageFromImageReferences(refs.toString("utf8"));
    if (!dtk.ok) throw new ReleaseKernelError(`${releaseImage}: ${dtk.error}`);

    const dtkImage = await this.#client.getImage(dtk.image);
    const info = await readFileFromLayers(layersOf(this.#client, dtkImage), DRIVER_TOOLKIT_RELEASE_PATH, { maxBytes: MAX_RELEASE_FILE_BYTES });
    if (!info) throw new ReleaseKernelError(`driver-toolkit image ${dtk.image} of ${releaseImage}: no ${DRIVER_TOOLKIT_RELEASE_PATH} in the image`);
    const kernel = kernelFromDriverToolkitRelease(info.toString("utf8"), rt);
    if (!kernel.ok) throw new ReleaseKernelError(`driver-toolkit image ${dtk.image} of ${releaseImage}: ${kernel.error}`);
    return { releaseImage, releaseDigest, driverToolkitImage: dtk.image, kernel: kernel.kernel, rt, ...(kernel.rhelVersion && { rhelVersion: kernel.rhelVersion }) };
  }
}
