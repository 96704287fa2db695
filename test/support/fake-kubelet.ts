// A stand-in for the Job controller and the kubelet, for the runner's integration tests: for every
// Job in the test API server it creates the Pod, materializes its volumes (the downward-API
// annotation, Secrets; a missing Secret is a FailedMount Event, as the kubelet reports it), runs the
// container's args through the real `kmm-preflight` CLI (the image's entrypoint), and writes back what
// a kubelet and the Job controller would: the container's terminated state with its termination
// message, the Pod phase, the Job's conditions.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Job, Pod } from "../../src/jobs/objects.js";
import type { KubeApiServer, KubeObject } from "./kube-api-server.js";

const CLI = path.resolve("src/cli/main.ts");

export interface FakeKubeletOptions {
  /** Images that cannot be pulled: their Pods wait in ImagePullBackOff. */
  readonly unpullable?: (image: string) => boolean;
  /** How often Jobs are looked at. @default 25 */
  readonly pollMs?: number;
  /** Extra arguments for the CLI (e.g. none); the container's args come first. */
  readonly env?: Record<string, string>;
}

export interface FakeKubelet {
  /** Containers run so far, by Job name. */
  readonly runs: readonly string[];
  stop(): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

export function startFakeKubelet(server: KubeApiServer, o: FakeKubeletOptions = {}): FakeKubelet {
  const handled = new Set<string>();
  const running = new Map<string, ChildProcess>();
  const runs: string[] = [];
  let stopped = false;
  let dirs: string[] = [];

  async function tick(): Promise<void> {
    const jobs = server.objects("jobs.batch") as unknown as Job[];
    const live = new Set(jobs.map((j) => j.metadata.uid!));
    for (const [uid, child] of running) if (!live.has(uid)) child.kill("SIGKILL");
    for (const job of jobs) {
      const uid = job.metadata.uid!;
      if (inFlight.has(uid) || (handled.has(uid) && !pending.has(uid))) continue;
      handled.add(uid);
      inFlight.add(uid);
      // Pods run side by side, as on a cluster.
      const run = startOrRetry(job).catch(() => {}).finally(() => inFlight.delete(uid));
      work.add(run);
      void run.finally(() => work.delete(run));
    }
  }
  const inFlight = new Set<string>();
  const work = new Set<Promise<void>>();

  /** Jobs whose Pod waits for something that may appear (a Secret created later). */
  const pending = new Set<string>();

  async function startOrRetry(job: Job): Promise<void> {
    const uid = job.metadata.uid!;
    const ns = job.metadata.namespace!;
    const podName = `${job.metadata.name}-pod00`;
    let pod = server.get("pods", podName, ns) as unknown as Pod | undefined;
    if (!pod) {
      const template = job.spec.template;
      server.seed({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: podName,
          namespace: ns,
          labels: { ...template.metadata.labels, "batch.kubernetes.io/job-name": job.metadata.name! },
          annotations: { ...template.metadata.annotations },
          ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: job.metadata.name!, uid, controller: true, blockOwnerDeletion: true }],
        },
        spec: template.spec as unknown as Record<string, unknown>,
        status: { phase: "Pending", containerStatuses: [{ name: "check", state: { waiting: { reason: "ContainerCreating" } } }] },
      } as KubeObject);
      server.modify("jobs.batch", job.metadata.name!, ns, (j) => {
        j["status"] = { active: 1, startTime: now() };
      });
      pod = server.get("pods", podName, ns) as unknown as Pod;
    }
    const container = job.spec.template.spec.containers[0]!;
    if (o.unpullable?.(container.image)) {
      pending.delete(uid);
      setWaiting(pod, "ImagePullBackOff", `Back-off pulling image "${container.image}"`);
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), "fake-kubelet-"));
    dirs.push(dir);
    const mounts = new Map<string, string>();
    for (const v of job.spec.template.spec.volumes ?? []) {
      const at = path.join(dir, v.name);
      await mkdir(at, { recursive: true });
      if (v.downwardAPI) {
        for (const item of v.downwardAPI.items) {
          const key = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef.fieldPath)?.[1];
          await writeFile(path.join(at, item.path), key ? (pod.metadata.annotations?.[key] ?? "") : "");
        }
      }
      if (v.secret) {
        const secret = server.get("secrets", v.secret.secretName, ns) as { data?: Record<string, string> } | undefined;
        const missing = !secret ? `secret "${v.secret.secretName}" not found` : (v.secret.items ?? []).find((i) => secret.data?.[i.key] === undefined) && `couldn't find key ${(v.secret.items ?? []).find((i) => secret.data?.[i.key] === undefined)!.key} in Secret ${ns}/${v.secret.secretName}`;
        if (missing) {
          pending.add(uid);
          failedMount(pod, v.name, missing);
          return;
        }
        for (const item of v.secret.items ?? Object.keys(secret!.data ?? {}).map((k) => ({ key: k, path: k }))) {
          await writeFile(path.join(at, item.path), Buffer.from(secret!.data![item.key]!, "base64"));
        }
      }
    }
    pending.delete(uid);
    for (const m of container.volumeMounts ?? []) mounts.set(m.mountPath, path.join(dir, m.name));
    const termination = path.join(dir, "termination-log");
    mounts.set(container.terminationMessagePath ?? "/dev/termination-log", termination);
    // Container paths in the args point into this Pod's directory, as the mounts would.
    const byLength = [...mounts].sort((x, y) => y[0].length - x[0].length);
    const mapPath = (p: string) => {
      const hit = byLength.find(([from]) => p === from || p.startsWith(`${from}/`));
      return hit ? hit[1] + p.slice(hit[0].length) : p;
    };
    const args = (container.args ?? []).map((a) => {
      const m = /^(--[^=]+=)(.*)$/s.exec(a);
      return m ? m[1]! + mapPath(m[2]!) : mapPath(a);
    });
    setRunning(pod);
    runs.push(job.metadata.name!);
    const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...o.env } });
    running.set(uid, child);
    const exitCode = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    running.delete(uid);
    if (stopped || !server.get("jobs.batch", job.metadata.name!, ns)) return;
    const message = await readFile(termination, "utf8").catch(() => "");
    finish(job, pod, exitCode ?? 137, message);
  }

  function setWaiting(pod: Pod, reason: string, message: string): void {
    server.modify("pods", pod.metadata.name!, pod.metadata.namespace, (p) => {
      p["status"] = { phase: "Pending", containerStatuses: [{ name: "check", state: { waiting: { reason, message } } }] };
    });
  }

  function setRunning(pod: Pod): void {
    server.modify("pods", pod.metadata.name!, pod.metadata.namespace, (p) => {
      p["status"] = { phase: "Running", containerStatuses: [{ name: "check", state: { running: { startedAt: now() } } }] };
    });
  }

  function failedMount(pod: Pod, volume: string, why: string): void {
    const name = `${pod.metadata.name}.failedmount`;
    const current = server.get("events", name, pod.metadata.namespace);
    const event = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: pod.metadata.namespace },
      involvedObject: { apiVersion: "v1", kind: "Pod", name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
      type: "Warning",
      reason: "FailedMount",
      message: `MountVolume.SetUp failed for volume "${volume}" : ${why}`,
      count: 1,
      firstTimestamp: now(),
      lastTimestamp: now(),
      source: { component: "kubelet" },
    };
    if (current) server.modify("events", name, pod.metadata.namespace, (e) => Object.assign(e, { count: ((e["count"] as number) ?? 1) + 1, lastTimestamp: now() }));
    else server.seed(event as KubeObject);
  }

  function finish(job: Job, pod: Pod, exitCode: number, message: string): void {
    const at = now();
    server.modify("pods", pod.metadata.name!, pod.metadata.namespace, (p) => {
      p["status"] = {
        phase: exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [{ name: "check", state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", message, finishedAt: at } } }],
      };
    });
    server.modify("jobs.batch", job.metadata.name!, job.metadata.namespace, (j) => {
      const ok = exitCode === 0;
      j["status"] = {
        startTime: (j["status"] as { startTime?: string } | undefined)?.startTime ?? at,
        ...(ok ? { succeeded: 1, completionTime: at } : { failed: 1 }),
        conditions: [{ type: ok ? "Complete" : "Failed", status: "True", reason: ok ? "Completed" : "BackoffLimitExceeded", lastTransitionTime: at }],
      };
    });
  }

  let busy: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    busy = busy.then(() => (stopped ? undefined : tick())).catch(() => {});
  }, o.pollMs ?? 25);

  return {
    runs,
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const c of running.values()) c.kill("SIGKILL");
      await busy;
      await Promise.all(work);
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
      dirs = [];
    },
  };
}
