import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as sut from "./cluster-config.js";

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "kmm-preflight-cluster-config-"));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh directory per test. */
function dir(): string {
  const d = path.join(root, String(++n));
  fs.mkdirSync(d, { recursive: true });
  return d;
}

function kubeconfig(file: string, o: { clusters: Record<string, string>; contexts?: Record<string, string>; current?: string }): string {
  const clusters = Object.entries(o.clusters).map(([name, server]) => `- name: ${name}\n  cluster:\n    server: ${server}`);
  const contexts = Object.entries(o.contexts ?? {}).map(([name, cluster]) => `- name: ${name}\n  context:\n    cluster: ${cluster}\n    user: u`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, [
    "apiVersion: v1",
    "kind: Config",
    `clusters:\n${clusters.join("\n")}`,
    contexts.length ? `contexts:\n${contexts.join("\n")}` : "contexts: []",
    "users:\n- name: u\n  user:\n    token: t",
    ...(o.current ? [`current-context: ${o.current}`] : []),
  ].join("\n"));
  return file;
}

const simple = (file: string, server: string) => kubeconfig(file, { clusters: { c: server }, contexts: { ctx: "c" }, current: "ctx" });

function serviceAccount(d: string, o: { token?: string; ca?: boolean; namespace?: string } = {}): string {
  const sa = path.join(d, "sa");
  fs.mkdirSync(sa, { recursive: true });
  if (o.token !== undefined) fs.writeFileSync(path.join(sa, "token"), o.token);
  if (o.ca) fs.writeFileSync(path.join(sa, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
  if (o.namespace) fs.writeFileSync(path.join(sa, "namespace"), o.namespace);
  return sa;
}

const IN_CLUSTER_ENV = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
const server = (kc: ReturnType<typeof sut.loadClusterConfig>) => kc?.getCurrentCluster()?.server;

describe("loadClusterConfig()", () => {
  describe("given an explicit kubeconfig path", () => {
    it("uses it ahead of $KUBECONFIG, the service account and ~/.kube/config", () => {
      const d = dir();
      const kc = sut.loadClusterConfig({
        kubeconfig: simple(path.join(d, "explicit"), "https://explicit:6443"),
        env: { ...IN_CLUSTER_ENV, KUBECONFIG: simple(path.join(d, "env"), "https://env:6443") },
        homeDir: path.dirname(simple(path.join(d, "home", ".kube", "config"), "https://home:6443")),
        serviceAccountDir: serviceAccount(d, { token: "tok" }),
      });
      assert.equal(server(kc), "https://explicit:6443");
    });

    it("throws when the file does not exist", () => {
      assert.throws(() => sut.loadClusterConfig({ kubeconfig: path.join(dir(), "missing"), env: {} }), sut.ClusterConfigError);
    });

    it("throws when no current context is set", () => {
      const file = kubeconfig(path.join(dir(), "cfg"), { clusters: { c: "https://c:6443" }, contexts: { ctx: "c" } });
      assert.throws(() => sut.loadClusterConfig({ kubeconfig: file, env: {} }), /no current-context/);
    });

    it("throws when the current context names an unknown cluster", () => {
      const file = kubeconfig(path.join(dir(), "cfg"), { clusters: { c: "https://c:6443" }, contexts: { ctx: "other" }, current: "ctx" });
      assert.throws(() => sut.loadClusterConfig({ kubeconfig: file, env: {} }), /names no known cluster/);
    });
  });

  describe("given $KUBECONFIG", () => {
    it("uses it ahead of the service account", () => {
      const d = dir();
      const kc = sut.loadClusterConfig({
        env: { ...IN_CLUSTER_ENV, KUBECONFIG: simple(path.join(d, "env"), "https://env:6443") },
        homeDir: d,
        serviceAccountDir: serviceAccount(d, { token: "tok" }),
      });
      assert.equal(server(kc), "https://env:6443");
    });

    it("skips missing entries and merges the rest, the first definition winning", () => {
      const d = dir();
      const first = kubeconfig(path.join(d, "first"), { clusters: { c: "https://first:6443" }, contexts: { ctx: "c" }, current: "ctx" });
      const second = kubeconfig(path.join(d, "second"), { clusters: { c: "https://second:6443", d: "https://d:6443" }, contexts: { other: "d" }, current: "other" });
      const kc = sut.loadClusterConfig({ env: { KUBECONFIG: [path.join(d, "missing"), first, second].join(path.delimiter) }, homeDir: d });
      assert.equal(kc?.getCurrentContext(), "ctx");
      assert.equal(server(kc), "https://first:6443");
      assert.deepEqual(kc?.getContexts().map((c) => c.name), ["ctx", "other"]);
      assert.deepEqual(kc?.getClusters().map((c) => c.server), ["https://first:6443", "https://d:6443"]);
    });

    it("throws when none of its files exists", () => {
      const d = dir();
      assert.throws(() => sut.loadClusterConfig({ env: { KUBECONFIG: path.join(d, "missing") }, homeDir: d }), /KUBECONFIG names no existing file/);
    });
  });

  describe("given the in-cluster environment and a service-account token", () => {
    it("talks to the service host with the token, the CA and the pod's namespace", async () => {
      const d = dir();
      const sa = serviceAccount(d, { token: "sa-token", ca: true, namespace: "kmm-operator\n" });
      const kc = sut.loadClusterConfig({ env: IN_CLUSTER_ENV, homeDir: d, serviceAccountDir: sa });
      assert.equal(server(kc), "https://10.0.0.1:443");
      assert.equal(kc?.getCurrentCluster()?.caFile, path.join(sa, "ca.crt"));
      assert.equal(kc?.getContextObject(kc.getCurrentContext())?.namespace, "kmm-operator");
      const init = await kc!.applyToFetchOptions({});
      assert.equal((init.headers as unknown as Headers).get("authorization"), "Bearer sa-token");
    });

    it("brackets an IPv6 service host", () => {
      const d = dir();
      const kc = sut.loadClusterConfig({ env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, homeDir: d, serviceAccountDir: serviceAccount(d, { token: "t" }) });
      assert.equal(server(kc), "https://[fd00::1]:443");
    });

    it("is preferred over ~/.kube/config", () => {
      const d = dir();
      simple(path.join(d, ".kube", "config"), "https://home:6443");
      const kc = sut.loadClusterConfig({ env: IN_CLUSTER_ENV, homeDir: d, serviceAccountDir: serviceAccount(d, { token: "t" }) });
      assert.equal(server(kc), "https://10.0.0.1:443");
    });
  });

  describe("given the in-cluster environment without a token file", () => {
    it("falls back to ~/.kube/config", () => {
      const d = dir();
      simple(path.join(d, ".kube", "config"), "https://home:6443");
      const kc = sut.loadClusterConfig({ env: IN_CLUSTER_ENV, homeDir: d, serviceAccountDir: serviceAccount(d) });
      assert.equal(server(kc), "https://home:6443");
    });
  });

  describe("given only ~/.kube/config", () => {
    it("uses it", () => {
      const d = dir();
      simple(path.join(d, ".kube", "config"), "https://home:6443");
      assert.equal(server(sut.loadClusterConfig({ env: {}, homeDir: d, serviceAccountDir: path.join(d, "no-sa") })), "https://home:6443");
    });
  });

  describe("given nothing", () => {
    it("returns undefined", () => {
      const d = dir();
      assert.equal(sut.loadClusterConfig({ env: {}, homeDir: d, serviceAccountDir: path.join(d, "no-sa") }), undefined);
    });
  });
});
