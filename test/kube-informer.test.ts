import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { GROUP, PREFLIGHT_API_VERSION, PREFLIGHT_KIND, PREFLIGHT_PLURAL, PREFLIGHT_VERSION, type PreflightValidationOCP } from "../src/api/index.js";
import { type Informer, type InformerOptions, NAMESPACE_INDEX, labelIndex, startInformer } from "../src/kube/informer.js";
import type { KubeObject as StoredObject } from "../src/kube/json-api.js";
import { PODS, PREFLIGHTS } from "../src/kube/resources.js";
import type { Logger } from "../src/log/logger.js";
import type { KubeConfig } from "@kubernetes/client-node";
import { startKubeApiServer, type KubeApiServer, type KubeObject } from "./support/kube-api-server.js";
import { captureLog } from "./support/captured-log.js";
import { waitFor } from "./support/wait.js";

// The generic informer, and the PreflightValidationOCP cache built on it, against the in-memory API server
// through the real client-node.

const GVP = { group: GROUP, version: PREFLIGHT_VERSION, plural: PREFLIGHT_PLURAL };
type PreflightCache = Informer<PreflightValidationOCP>;
type PreflightCacheOptions = Pick<InformerOptions<PreflightValidationOCP>, "relistBackoff" | "requestTimeoutMs" | "watchTimeoutSeconds">;
/** The PreflightValidationOCP cache, as the server's manager starts it. */
const startPreflightCache = (kc: KubeConfig, log: Logger, opts: PreflightCacheOptions): PreflightCache => startInformer<PreflightValidationOCP>(kc, { resource: PREFLIGHTS, log, ...opts });
const FAST: PreflightCacheOptions = { relistBackoff: { initialMs: 20, maxMs: 100 }, requestTimeoutMs: 300 };

function pfvo(name: string, releaseImage = "quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64"): KubeObject {
  return { apiVersion: PREFLIGHT_API_VERSION, kind: PREFLIGHT_KIND, metadata: { name }, spec: { releaseImage } };
}

const names = (c: PreflightCache) => c.list()?.map((o) => o.metadata.name).sort();
const lists = (s: KubeApiServer) => s.requests.filter((r) => r.method === "GET" && !r.watch && r.path.endsWith(`/${PREFLIGHT_PLURAL}`));
const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;

/** Runs `fn` with a server and a cache, and always stops and closes both. */
async function withCache(
  fn: (ctx: { server: KubeApiServer; cache: PreflightCache; lines: Record<string, unknown>[] }) => Promise<void>,
  setup: (server: KubeApiServer) => void = () => {},
  opts: PreflightCacheOptions = FAST,
): Promise<void> {
  const server = await startKubeApiServer();
  const { log, lines } = captureLog();
  let cache: PreflightCache | undefined;
  try {
    setup(server);
    cache = startPreflightCache(server.kubeConfig(), log, opts);
    await fn({ server, cache, lines });
  } finally {
    await cache?.stop();
    await server.close();
  }
}

describe("startPreflightCache()", () => {
  describe("given an API server holding objects", () => {
    it("answers undefined until the first list, then the objects", async () => {
      await withCache(async ({ cache }) => {
        assert.equal(cache.list(), undefined);
        assert.equal(cache.synced, false);
        await waitFor("sync", () => cache.synced);
        assert.deepEqual(names(cache), ["a", "b"]);
        assert.equal(cache.list()?.[0]?.spec.releaseImage, "quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64");
      }, (s) => s.seed(pfvo("a"), pfvo("b")));
    });

    it("follows creates, updates and deletes through one watch, without listing again", async () => {
      await withCache(async ({ server, cache }) => {
        await waitFor("sync", () => cache.synced);
        const api = server.kubeConfig().makeApiClient(CustomObjectsApi);

        await api.createClusterCustomObject({ ...GVP, body: pfvo("b") });
        await waitFor("b added", () => names(cache)?.includes("b") ?? false);

        await api.patchClusterCustomObject({ ...GVP, name: "a", body: { spec: { releaseImage: "example.com/r:2" } } },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
        await waitFor("a updated", () => cache.list()?.find((o) => o.metadata.name === "a")?.spec.releaseImage === "example.com/r:2");

        await api.deleteClusterCustomObject({ ...GVP, name: "b" });
        await waitFor("b deleted", () => names(cache)?.join() === "a");

        assert.equal(lists(server).length, 1);
      }, (s) => s.seed(pfvo("a")));
    });

    it("asks for bookmarks and a server-side watch timeout", async () => {
      await withCache(async ({ server, cache }) => {
        await waitFor("watch", () => server.requests.some((r) => r.watch));
        const w = server.requests.find((r) => r.watch)!;
        assert.equal(w.query["allowWatchBookmarks"], "true");
        assert.equal(w.query["timeoutSeconds"], "300");
        assert.equal(w.query["resourceVersion"], server.resourceVersion());
        assert.ok(cache.synced);
      });
    });
  });

  describe("given an API server that hangs from the start", () => {
    it("answers undefined synchronously, keeps retrying, and syncs once the server answers", async () => {
      await withCache(async ({ server, cache, lines }) => {
        assert.equal(cache.list(), undefined);
        // requestTimeoutMs is 300: the first LIST is aborted and the failure logged.
        await waitFor("the timeout logged", () => lines.some((l) => l["level"] === "warn" && l["component"] === "kube" && String(l["error"]).includes("no answer within 300 ms")));
        assert.equal(cache.list(), undefined);
        assert.equal(cache.synced, false);
        server.faults.clear();
        await waitFor("sync", () => cache.synced);
        assert.deepEqual(names(cache), ["a"]);
      }, (s) => {
        s.seed(pfvo("a"));
        s.faults.hang();
      });
    });
  });

  describe("given an API server that is down", () => {
    it("logs the failures and syncs when it comes back", async () => {
      await withCache(async ({ server, cache, lines }) => {
        await waitFor("two failures logged", () => lines.filter((l) => l["level"] === "warn").length >= 2);
        assert.equal(cache.list(), undefined);
        const warn = lines.find((l) => l["level"] === "warn")!;
        assert.equal(warn["component"], "kube");
        assert.equal(typeof warn["retryInMs"], "number");
        server.faults.clear();
        await waitFor("sync", () => cache.synced);
        assert.deepEqual(names(cache), ["a"]);
      }, (s) => {
        s.seed(pfvo("a"));
        s.faults.refuseConnections();
      });
    });
  });

  describe("given LIST answering 500 a few times", () => {
    it("backs off, retries and syncs", async () => {
      await withCache(async ({ server, cache, lines }) => {
        await waitFor("sync", () => cache.synced);
        assert.equal(lists(server).length, 4);
        const errors = lines.filter((l) => l["level"] === "warn").map((l) => String(l["error"]));
        assert.equal(errors.length, 3);
        assert.match(errors[0]!, /^HTTP 500: Internal error occurred: injected fault/);
        assert.deepEqual(lines.filter((l) => l["level"] === "warn").map((l) => l["retryInMs"]), [20, 40, 80]);
      }, (s) => {
        s.seed(pfvo("a"));
        s.faults.failNext(3, 500);
      });
    });
  });

  describe("given a synced cache", () => {
    for (const abrupt of [false, true]) {
      it(`reconnects after the server ${abrupt ? "resets" : "cleanly ends"} the watch and misses no change`, async () => {
        await withCache(async ({ server, cache }) => {
          await waitFor("sync", () => cache.synced && server.openWatches() === 1);
          server.faults.dropWatches({ abrupt });
          // Written while no watch is open: the next watch replays it from its resourceVersion.
          server.seed(pfvo("b"));
          await waitFor("b seen", () => names(cache)?.join() === "a,b");
          await waitFor("watch reopened", () => server.openWatches() === 1);
          assert.equal(lists(server).length, 1);
        }, (s) => s.seed(pfvo("a")));
      });
    }

    it("recovers when new watches fail with 500", async () => {
      await withCache(async ({ server, cache, lines }) => {
        await waitFor("sync", () => cache.synced && server.openWatches() === 1);
        server.faults.failNext(2, 500, { match: { watch: true } });
        server.faults.dropWatches();
        server.remove(PREFLIGHT_PLURAL + "." + GROUP, "a");
        await waitFor("a gone", () => names(cache)?.length === 0);
        assert.ok(lines.some((l) => l["level"] === "warn" && String(l["error"]).startsWith("HTTP 500")));
      }, (s) => s.seed(pfvo("a")));
    });

    it("relists when its resourceVersion is too old (410) and drops what was deleted meanwhile", async () => {
      await withCache(async ({ server, cache }) => {
        await waitFor("sync", () => cache.synced && server.openWatches() === 1);
        server.faults.dropWatches();
        server.remove(`${PREFLIGHT_PLURAL}.${GROUP}`, "a");
        server.seed(pfvo("c"));
        server.compact();
        await waitFor("relisted", () => names(cache)?.join() === "b,c");
        assert.equal(lists(server).length, 2);
        assert.equal(cache.synced, true);
      }, (s) => s.seed(pfvo("a"), pfvo("b")));
    });

    it("keeps answering the last known objects while the server hangs, and catches up afterwards", async () => {
      await withCache(async ({ server, cache }) => {
        await waitFor("sync", () => cache.synced && server.openWatches() === 1);
        server.faults.hang();
        server.faults.dropWatches();
        const watches = server.requests.filter((r) => r.watch).length;
        // Each hung watch is torn down after requestTimeoutMs (300 ms) and retried.
        await waitFor("two hung watches retried", () => server.requests.filter((r) => r.watch).length >= watches + 2);
        assert.deepEqual(names(cache), ["a"]);
        server.seed(pfvo("b"));
        server.faults.clear();
        await waitFor("b seen", () => names(cache)?.join() === "a,b");
      }, (s) => s.seed(pfvo("a")));
    });

    it("backs off when the server keeps ending watches right after they start", async () => {
      await withCache(async ({ server, cache }) => {
        await waitFor("sync", () => cache.synced && server.openWatches() === 1);
        const before = server.requests.length;
        const started = Date.now();
        while (Date.now() - started < 300) {
          server.faults.dropWatches();
          await sleep(5);
        }
        // Without backoff this loop would see a reconnect every few ms (~60); with 20, 40, 80, 100… ms far fewer.
        assert.ok(server.requests.length - before <= 8, `${server.requests.length - before} reconnects`);
      }, (s) => s.seed(pfvo("a")));
    });
  });

  describe("stop()", () => {
    it("closes its connections and timers, even while the server hangs", async () => {
      const baseline = openSockets();
      const server = await startKubeApiServer();
      const cache = startPreflightCache(server.kubeConfig(), captureLog().log, { ...FAST, requestTimeoutMs: 60_000 });
      try {
        server.faults.hang();
        await waitFor("list sent", () => server.requests.length === 1);
        await cache.stop();
        await waitFor("client and server sockets closed", () => openSockets() === baseline);
        assert.equal(cache.list(), undefined);
      } finally {
        await server.close();
      }
    });

    it("closes the open watch and keeps the last objects", async () => {
      const baseline = openSockets();
      const server = await startKubeApiServer();
      server.seed(pfvo("a"));
      const cache = startPreflightCache(server.kubeConfig(), captureLog().log, FAST);
      try {
        await waitFor("sync", () => cache.synced && server.openWatches() === 1);
        await cache.stop();
        await cache.stop(); // idempotent
        await waitFor("watch closed", () => server.openWatches() === 0 && openSockets() === baseline);
        assert.deepEqual(names(cache), ["a"]);
      } finally {
        await server.close();
      }
    });
  });
});

describe("startInformer()", () => {
  const pod = (name: string, namespace: string, labels: Record<string, string> = {}): KubeObject =>
    ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels }, spec: {}, status: { phase: "Pending" } });
  const podNames = (pods: readonly { metadata?: { namespace?: string; name?: string } }[]) => pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort();

  /** Runs `fn` with a server and an informer of Pods (the core group) labelled managed-by=us, and always stops both. */
  async function withPods(fn: (ctx: { server: KubeApiServer; pods: Informer<StoredObject>; events: string[] }) => Promise<void>, seed: KubeObject[] = []) {
    const server = await startKubeApiServer();
    server.seed(...seed);
    const pods = startInformer<StoredObject>(server.kubeConfig(), {
      resource: PODS,
      labelSelector: "managed-by=us",
      indexes: { stage: labelIndex("stage") },
      log: captureLog().log,
      relistBackoff: FAST.relistBackoff!,
      requestTimeoutMs: 300,
    });
    const events: string[] = [];
    pods.onEvent((e) => {
      const id = `${e.object.metadata?.namespace}/${e.object.metadata?.name}`;
      events.push(e.type === "update" ? `update ${id} ${String((e.old["status"] as { phase?: string }).phase)}->${String((e.object["status"] as { phase?: string }).phase)}` : `${e.type} ${id}`);
    });
    try {
      await fn({ server, pods, events });
    } finally {
      await pods.stop();
      await server.close();
    }
  }

  describe("given a label selector and a label index", () => {
    it("stores only matching objects, and files them by namespace and by label", async () => {
      await withPods(async ({ pods }) => {
        assert.equal(await pods.waitForSync(), true);
        assert.deepEqual(podNames(pods.list()!), ["ns1/a", "ns1/b", "ns2/c"]);
        assert.deepEqual(podNames(pods.byIndex(NAMESPACE_INDEX, "ns1")), ["ns1/a", "ns1/b"]);
        assert.deepEqual(podNames(pods.byIndex("stage", "image")), ["ns1/a", "ns2/c"]);
        assert.deepEqual(pods.byIndex("stage", "sign"), []);
        assert.equal(pods.get("b", "ns1")?.metadata?.name, "b");
        assert.equal(pods.get("other", "ns1"), undefined);
      }, [
        pod("a", "ns1", { "managed-by": "us", stage: "image" }),
        pod("b", "ns1", { "managed-by": "us", stage: "build" }),
        pod("c", "ns2", { "managed-by": "us", stage: "image" }),
        pod("d", "ns2", { "managed-by": "someone-else", stage: "image" }),
      ]);
    });
  });

  describe("given changes while it watches", () => {
    it("tells handlers about adds, updates (with the old object) and deletes, and keeps the indexes current", async () => {
      await withPods(async ({ server, pods, events }) => {
        await pods.waitForSync();
        server.seed(pod("b", "ns1", { "managed-by": "us", stage: "image" }));
        server.modify("pods", "a", "ns1", (o) => {
          o["status"] = { phase: "Running" };
          o.metadata!.labels = { "managed-by": "us", stage: "build" };
        });
        server.remove("pods", "b", "ns1");
        await waitFor("three events after the initial add", () => events.length === 4);
        assert.deepEqual(events, ["add ns1/a", "add ns1/b", "update ns1/a Pending->Running", "delete ns1/b"]);
        assert.deepEqual(podNames(pods.byIndex("stage", "build")), ["ns1/a"]);
        assert.deepEqual(pods.byIndex("stage", "image"), []);
      }, [pod("a", "ns1", { "managed-by": "us", stage: "image" })]);
    });

    it("reports as deleted what a relist after 410 no longer finds", async () => {
      await withPods(async ({ server, pods, events }) => {
        await waitFor("watching", () => pods.synced && server.openWatches() === 1);
        server.faults.dropWatches();
        server.remove("pods", "a", "ns1");
        server.compact();
        await waitFor("a deleted", () => events.includes("delete ns1/a"));
        assert.deepEqual(pods.list(), []);
      }, [pod("a", "ns1", { "managed-by": "us" })]);
    });

    it("keeps calling the other handlers when one throws", async () => {
      await withPods(async ({ server, pods, events }) => {
        pods.onEvent(() => {
          throw new Error("handler bug");
        });
        await pods.waitForSync();
        server.seed(pod("b", "ns1", { "managed-by": "us" }));
        await waitFor("b added", () => events.includes("add ns1/b"));
      }, [pod("a", "ns1", { "managed-by": "us" })]);
    });
  });

  describe("waitForSync()", () => {
    it("answers false when its signal aborts before the first list", async () => {
      await withPods(async ({ server, pods }) => {
        server.faults.hang();
        const c = new AbortController();
        const waited = pods.waitForSync(c.signal);
        c.abort();
        assert.equal(await waited, false);
        server.faults.clear();
      });
    });
  });
});
