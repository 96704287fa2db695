import { readFile } from "node:fs/promises";
import type { Logger } from "../log/logger.js";
import { RegistryClient, credentialsFromDockerConfig, parsePlatform, type Platform } from "../registry/index.js";
import type { Flags } from "./parse-flags.js";

// The registry flags `check` and `sign` share, and the one registry client a run builds from them.

export const REGISTRY_FLAGS = {
  "pull-secret": { type: "string" },
  platform: { type: "string" },
  "registry-ca": { type: "string", multiple: true },
  "insecure-registry": { type: "string", multiple: true },
} as const;

export const REGISTRY_FLAGS_USAGE = `  --platform <os/arch[/variant]>  platform picked from multi-arch images (default linux/amd64)
  --registry-ca <file>          extra trusted CA certificate (PEM), may repeat
  --insecure-registry <host[:port]>  reach this registry over plain HTTP, may repeat`;

export interface RegistryFlags {
  /** A kubernetes.io/dockerconfigjson (.dockerconfigjson) or a docker config.json. */
  readonly pullSecret?: string;
  readonly platform?: Platform;
  readonly registryCa: readonly string[];
  readonly insecureRegistries: readonly string[];
}

/** The registry flags from parsed flags; a bad --platform is added to `errors`. */
export function registryFlags(v: Flags, errors: string[]): RegistryFlags {
  let platform: Platform | undefined;
  if (v["platform"] !== undefined) {
    platform = parsePlatform(v["platform"] as string);
    if (!platform) errors.push(`--platform must be os/arch or os/arch/variant, not ${JSON.stringify(v["platform"])}`);
  }
  return {
    ...(v["pull-secret"] !== undefined && { pullSecret: v["pull-secret"] as string }),
    ...(platform && { platform }),
    registryCa: (v["registry-ca"] as string[] | undefined) ?? [],
    insecureRegistries: (v["insecure-registry"] as string[] | undefined) ?? [],
  };
}

/** One client for the run: its pull secret, CAs, platform and plain-HTTP registries. The caller closes it. */
export async function registryClientFor(o: RegistryFlags, log?: Logger): Promise<RegistryClient> {
  const credentials = o.pullSecret ? credentialsFromDockerConfig(await readFile(o.pullSecret)) : undefined;
  const ca = await Promise.all(o.registryCa.map((f) => readFile(f, "utf8")));
  const insecure = new Set(o.insecureRegistries);
  return new RegistryClient({ credentials, ca, platform: o.platform, log, tls: (registry) => (insecure.has(registry) ? { insecure: true } : undefined) });
}
