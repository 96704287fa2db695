import type { Logger } from "../log/logger.js";
import { RegistryClient, credentialsFromDockerConfig } from "../registry/index.js";
import { ReleaseKernelResolver } from "../release/release-kernel.js";
import type { Clock } from "../util/clock.js";
import type { KernelSource } from "./kernel-lookups.js";

// The kernel of a release image, read from the registry with the cluster's release pull secret (the
// one Secret the server reads: `--release-pull-secret`), anonymously when there is none.

export interface ReleaseKernelSourceOptions {
  /** The release pull secret's `.dockerconfigjson`, or undefined when there is none (anonymous). */
  readonly pullSecret: () => Promise<Buffer | undefined>;
  readonly log: Logger;
  readonly clock: Clock;
  /** Registries reached over plain HTTP (a mirror without TLS; tests). */
  readonly insecureRegistries?: readonly string[];
}

export function releaseKernelSource(o: ReleaseKernelSourceOptions): KernelSource {
  const insecure = new Set(o.insecureRegistries ?? []);
  return async (releaseImage, rt) => {
    const secret = await o.pullSecret();
    const client = new RegistryClient({
      ...(secret && { credentials: credentialsFromDockerConfig(secret) }),
      log: o.log,
      clock: o.clock,
      tls: (registry) => (insecure.has(registry) ? { insecure: true } : undefined),
    });
    try {
      return (await new ReleaseKernelResolver(client).resolve(releaseImage, rt)).kernel;
    } finally {
      await client.close();
    }
  };
}
