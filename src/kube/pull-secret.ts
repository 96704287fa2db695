import { SECRETS } from "./resources.js";
import type { Writer } from "./writer.js";

// The one Secret kmm-preflight reads: the cluster's release pull secret (on OpenShift,
// openshift-config/pull-secret), for reading release images. RBAC grants get on that name only.

export interface SecretRef {
  readonly namespace: string;
  readonly name: string;
}

/** `namespace/name`, or an error message for anything else. */
export function parseSecretRef(s: string): SecretRef | string {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(s);
  return m ? { namespace: m[1]!, name: m[3]! } : `"${s}" is not namespace/name of a Secret`;
}

/** The docker config of a pull Secret (`.dockerconfigjson`, else `.dockercfg`), or undefined when the Secret does not exist. */
export async function readPullSecret(writer: Writer, ref: SecretRef): Promise<Buffer | undefined> {
  const secret = await writer.get<{ metadata?: { name?: string }; data?: Record<string, string> }>(SECRETS, ref.name, ref.namespace);
  if (!secret) return undefined;
  const data = secret.data?.[".dockerconfigjson"] ?? secret.data?.[".dockercfg"];
  if (data === undefined) throw new Error(`Secret ${ref.namespace}/${ref.name} has no .dockerconfigjson (or .dockercfg) key`);
  return Buffer.from(data, "base64");
}
