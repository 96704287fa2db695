import { DEFAULT_REGISTRY } from "../api/image-reference.js";

// Which host serves a registry's API: knowledge of the registry client, not of the reference grammar.

/** Where the registry API of Docker Hub lives: `docker.io` is a name, not a host that serves /v2/. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
const DOCKER_HUB_ALIASES = new Set([DEFAULT_REGISTRY, "index.docker.io", "registry.hub.docker.com", DOCKER_HUB_API_HOST]);

/** Whether `registry` (as written in a reference or a docker config key) names Docker Hub. */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}

/** The host[:port] that serves the registry API for `registry`: Docker Hub's aliases map to registry-1.docker.io, anything else is itself. */
export function registryApiHost(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB_API_HOST : registry;
}
