import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { KubeApiServer } from "./kube-api-server.js";

/**
 * `kmm-preflight serve` as a real process, with `api` as its cluster (a kubeconfig in `dir`), on free
 * loopback ports, electing a leader as "pod-x" on a 60 s Lease. `messages` collects its log lines' msg.
 */
export async function spawnServe(api: KubeApiServer, dir: string): Promise<{ child: ChildProcess; messages: string[] }> {
  const kubeconfig = path.join(dir, "kubeconfig");
  await writeFile(kubeconfig, api.kubeConfig().exportConfig());
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", "--kubeconfig", kubeconfig], {
    env: { ...process.env, PORT: "0", METRICS_PORT: "0", HOST: "127.0.0.1", CERT_DIR: path.join(dir, "certs"), POD_NAME: "pod-x", LEADER_ELECT: "true", LEADER_LEASE_DURATION_SECONDS: "60", LEADER_RENEW_DEADLINE_SECONDS: "10" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const messages: string[] = [];
  child.stdout!.on("data", (c: Buffer) => messages.push(...c.toString().split("\n").filter(Boolean).map((l) => String((JSON.parse(l) as { msg?: unknown }).msg))));
  return { child, messages };
}

/** The holder of the leader Lease the server campaigns for. */
export const leaseHolder = (api: KubeApiServer): string | undefined =>
  (api.get("leases.coordination.k8s.io", "kmm-preflight", "kmm-preflight")?.["spec"] as { holderIdentity?: string } | undefined)?.holderIdentity;
