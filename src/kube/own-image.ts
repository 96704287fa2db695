import { PODS } from "./resources.js";
import type { Writer } from "./writer.js";

/**
 * The image this server's own container runs, read from its Pod: the validation Jobs run the same
 * image, whatever a kustomize overlay set it to. Undefined when the Pod or container is not found.
 */
export async function readOwnImage(writer: Writer, namespace: string, podName: string, container = "kmm-preflight"): Promise<string | undefined> {
  const pod = await writer.get<{ metadata?: { name?: string }; spec?: { containers?: { name?: string; image?: string }[] } }>(PODS, podName, namespace);
  const containers = pod?.spec?.containers ?? [];
  return (containers.find((c) => c.name === container) ?? (containers.length === 1 ? containers[0] : undefined))?.image;
}
