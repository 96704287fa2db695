import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { KubeConfig, type Cluster, type Context, type User } from "@kubernetes/client-node";

// Which cluster, if any, kmm-preflight talks to. Same precedence as kubectl/client-go, with the
// in-cluster service account ahead of ~/.kube/config (a pod's home may hold a stray kubeconfig).

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface ClusterConfigOptions {
  /** Explicit kubeconfig path (--kubeconfig). Must exist. */
  readonly kubeconfig?: string;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default os.homedir() */
  readonly homeDir?: string;
  /** Where the pod's service-account token, ca.crt and namespace live. @default SERVICE_ACCOUNT_DIR */
  readonly serviceAccountDir?: string;
}

export class ClusterConfigError extends Error {
  override readonly name = "ClusterConfigError";
}

/**
 * Resolves the cluster to talk to, in this order:
 * 1. `kubeconfig` (explicit path; an error if it is missing or unusable);
 * 2. `$KUBECONFIG` (a path list; missing entries are skipped like kubectl does, an error if none exists);
 * 3. in-cluster: `$KUBERNETES_SERVICE_HOST` + `$KUBERNETES_SERVICE_PORT` + the service-account token file;
 * 4. `~/.kube/config` when it exists.
 *
 * Returns undefined when none applies ("no cluster configured": the server then runs admission only).
 * Throws ClusterConfigError when a configuration was named but cannot be used.
 */
export function loadClusterConfig(opts: ClusterConfigOptions = {}): KubeConfig | undefined {
  const env = opts.env ?? process.env;
  if (opts.kubeconfig) return fromFiles([opts.kubeconfig], "--kubeconfig");

  const fromEnv = (env["KUBECONFIG"] ?? "").split(path.delimiter).filter(Boolean);
  if (fromEnv.length > 0) {
    const existing = fromEnv.filter((f) => fs.existsSync(f));
    if (existing.length === 0) throw new ClusterConfigError(`KUBECONFIG names no existing file: ${fromEnv.join(path.delimiter)}`);
    return fromFiles(existing, "KUBECONFIG");
  }

  const inCluster = loadInCluster(env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
  if (inCluster) return inCluster;

  const home = opts.homeDir ?? os.homedir();
  const defaultFile = home ? path.join(home, ".kube", "config") : undefined;
  if (defaultFile && fs.existsSync(defaultFile)) return fromFiles([defaultFile], "~/.kube/config");
  return undefined;
}

function fromFiles(files: readonly string[], source: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    // kubectl's merge rule: the first file to define a name (or current-context) wins.
    const merged = { clusters: [] as Cluster[], users: [] as User[], contexts: [] as Context[], currentContext: undefined as string | undefined };
    for (const file of files) {
      const part = new KubeConfig();
      part.loadFromFile(file); // also resolves relative cert/key paths against the file's directory
      const add = <T extends { name: string }>(into: T[], from: T[]) => {
        for (const x of from) if (!into.some((y) => y.name === x.name)) into.push(x);
      };
      add(merged.clusters, part.getClusters());
      add(merged.users, part.getUsers());
      add(merged.contexts, part.getContexts());
      merged.currentContext ||= part.getCurrentContext() || undefined;
    }
    kc.loadFromOptions(merged);
  } catch (err) {
    throw new ClusterConfigError(`${source}: cannot load ${files.join(path.delimiter)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    const ctx = kc.getCurrentContext();
    throw new ClusterConfigError(ctx
      ? `${source}: current context "${ctx}" names no known cluster`
      : `${source}: no current-context set in ${files.join(path.delimiter)}`);
  }
  if (!cluster.server) throw new ClusterConfigError(`${source}: cluster "${cluster.name}" has no server`);
  return kc;
}

function loadInCluster(env: NodeJS.ProcessEnv, saDir: string): KubeConfig | undefined {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  const tokenFile = path.join(saDir, "token");
  if (!host || !port || !fs.existsSync(tokenFile)) return undefined;

  const caFile = path.join(saDir, "ca.crt");
  const nsFile = path.join(saDir, "namespace");
  const serverHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host; // IPv6 literal
  const namespace = fs.existsSync(nsFile) ? fs.readFileSync(nsFile, "utf8").trim() : undefined;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "in-cluster", server: `https://${serverHost}:${port}`, skipTLSVerify: false, ...(fs.existsSync(caFile) ? { caFile } : {}) }],
    // The tokenFile auth provider re-reads the file (projected tokens rotate) instead of caching it forever.
    users: [{ name: "in-cluster", authProvider: { name: "tokenFile", config: { tokenFile } } }],
    contexts: [{ name: "in-cluster", cluster: "in-cluster", user: "in-cluster", ...(namespace ? { namespace } : {}) }],
    currentContext: "in-cluster",
  });
  return kc;
}
