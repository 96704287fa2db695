// A stand-in for the Job controller and the kubelet, for the runner's integration tests: for every
// Job in the test API server it creates the Pod, materializes its volumes (the downward-API
// annotation, Secrets, ConfigMaps, emptyDirs; a missing Secret or ConfigMap is a FailedMount Event, as
// the kubelet reports it), runs its init containers then its containers: this product's image through
// the real `kmm-preflight` CLI (the image's entrypoint), a `buildah` command through this machine's
// buildah; and writes back what a kubelet and the Job controller would: each container's terminated
// state with its termination message (the log's tail for FallbackToLogsOnError), the Pod phase, the
// Job's conditions.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Container, Job, Pod } from "../../src/jobs/objects.js";
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
    const podSpec = job.spec.template.spec;
    const containers = [...(podSpec.initContainers ?? []), ...podSpec.containers];
    const unpullable = containers.find((c) => o.unpullable?.(c.image));
    if (unpullable) {
      pending.delete(uid);
      setWaiting(pod, "ImagePullBackOff", `Back-off pulling image "${unpullable.image}"`);
      return;
    }
    const dir = await mkdtemp(path.join(tmpdir(), "fake-kubelet-"));
    dirs.push(dir);
    for (const v of podSpec.volumes ?? []) {
      const at = path.join(dir, v.name);
      await mkdir(at, { recursive: true });
      if (v.downwardAPI) {
        for (const item of v.downwardAPI.items) {
          const key = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef.fieldPath)?.[1];
          await writeFile(path.join(at, item.path), key ? (pod.metadata.annotations?.[key] ?? "") : "");
        }
      }
      const source = v.secret ? { kind: "secret", name: v.secret.secretName, items: v.secret.items, decode: true } : v.configMap ? { kind: "configmap", name: v.configMap.name, items: v.configMap.items, decode: false } : undefined;
      if (source) {
        const obj = server.get(source.kind === "secret" ? "secrets" : "configmaps", source.name, ns) as { data?: Record<string, string> } | undefined;
        const missingKey = (source.items ?? []).find((i) => obj?.data?.[i.key] === undefined)?.key;
        const missing = !obj ? `${source.kind} "${source.name}" not found` : missingKey !== undefined ? `couldn't find key ${missingKey} in ${source.kind === "secret" ? "Secret" : "ConfigMap"} ${ns}/${source.name}` : undefined;
        if (missing) {
          pending.add(uid);
          failedMount(pod, v.name, missing);
          return;
        }
        for (const item of source.items ?? Object.keys(obj!.data ?? {}).map((k) => ({ key: k, path: k }))) {
          const value = obj!.data![item.key]!;
          await writeFile(path.join(at, item.path), source.decode ? Buffer.from(value, "base64") : value);
        }
      }
    }
    pending.delete(uid);
    setRunning(pod);
    runs.push(job.metadata.name!);
    const statuses: { name: string; exitCode: number; message: string }[] = [];
    for (const container of containers) {
      const r = await runContainer(container, dir, uid);
      statuses.push({ name: container.name, ...r });
      if (stopped || !server.get("jobs.batch", job.metadata.name!, ns)) return;
      if (r.exitCode !== 0) break;
    }
    const init = new Set((podSpec.initContainers ?? []).map((c) => c.name));
    finish(job, pod, statuses.filter((x) => init.has(x.name)), statuses.filter((x) => !init.has(x.name)));
  }

  /**
   * Runs one container: the product's image runs the real CLI (its entrypoint); a `buildah` command runs
   * this machine's buildah. Container paths in the args point into the Pod's directory, as the mounts would.
   */
  async function runContainer(container: Container, dir: string, uid: string): Promise<{ exitCode: number; message: string }> {
    const mounts = new Map<string, string>();
    for (const m of container.volumeMounts ?? []) mounts.set(m.mountPath, path.join(dir, m.name));
    const termination = path.join(dir, `${container.name}-termination-log`);
    mounts.set(container.terminationMessagePath ?? "/dev/termination-log", termination);
    const byLength = [...mounts].sort((x, y) => y[0].length - x[0].length);
    const mapPath = (p: string) => {
      const hit = byLength.find(([from]) => p === from || p.startsWith(`${from}/`));
      return hit ? hit[1] + p.slice(hit[0].length) : p;
    };
    const args = (container.args ?? []).map((a) => {
      const m = /^(--[^=]+=)(.*)$/s.exec(a);
      return m ? m[1]! + mapPath(m[2]!) : mapPath(a);
    });
    const [file, argv] = container.command?.[0] === "buildah" ? ["buildah", args] : [process.execPath, ["--import", "tsx", CLI, ...args]];
    const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...o.env, ...Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value])) } });
    running.set(uid, child);
    let output = "";
    const keep = (c: Buffer) => (output = (output + c.toString()).slice(-4096));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const exitCode = await new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    running.delete(uid);
    const written = await readFile(termination, "utf8").catch(() => "");
    // terminationMessagePolicy FallbackToLogsOnError: a failed container without a message reports its log's tail.
    const message = written || (exitCode !== 0 && container.terminationMessagePolicy === "FallbackToLogsOnError" ? output.split("\n").slice(-80).join("\n").slice(-2048) : "");
    return { exitCode: exitCode ?? 137, message };
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

  function finish(job: Job, pod: Pod, init: readonly { name: string; exitCode: number; message: string }[], main: readonly { name: string; exitCode: number; message: string }[]): void {
    const at = now();
    const state = (x: { exitCode: number; message: string }) => ({ terminated: { exitCode: x.exitCode, reason: x.exitCode === 0 ? "Completed" : "Error", message: x.message, finishedAt: at } });
    const ok = [...init, ...main].every((x) => x.exitCode === 0) && main.length > 0;
    server.modify("pods", pod.metadata.name!, pod.metadata.namespace, (p) => {
      p["status"] = {
        phase: ok ? "Succeeded" : "Failed",
        ...(init.length && { initContainerStatuses: init.map((x) => ({ name: x.name, state: state(x) })) }),
        containerStatuses: main.length ? main.map((x) => ({ name: x.name, state: state(x) })) : (job.spec.template.spec.containers.map((c) => ({ name: c.name, state: { waiting: { reason: "PodInitializing" } } }))),
      };
    });
    server.modify("jobs.batch", job.metadata.name!, job.metadata.namespace, (j) => {
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
