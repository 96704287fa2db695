// Renders manifests/ with `kubectl kustomize` (no cluster, no network) and checks what matters for a
// fail-closed admission webhook: the webhook configurations, the Deployment's hardening, least-privilege
// RBAC, and that the contracts between files (paths, ports, Secret, ServiceAccount, uid) hold.

import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Container,
  V1Deployment,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
  V1ValidatingWebhook,
  V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { moduleCrd } from "../src/api/crd/module-crd.js";
import { preflightCrd } from "../src/api/crd/preflight-crd.js";
import { MODULE_KIND, MODULE_PLURAL, MODULE_VERSION } from "../src/api/module.js";
import { GROUP, PREFLIGHT_KIND, PREFLIGHT_PLURAL, PREFLIGHT_VERSION } from "../src/api/preflight-validation-ocp.js";
import {
  MODULE_POLICY_ENFORCE,
  MODULE_POLICY_LABEL,
  MUTATE_PREFLIGHT_PATH,
  VALIDATE_MODULE_ENFORCE_PATH,
  VALIDATE_MODULE_PATH,
  VALIDATE_PREFLIGHT_PATH,
} from "../src/api/webhook-paths.js";
import { parseServeConfig } from "../src/server/config.js";
import { ownerReferenceTo } from "../src/jobs/validation-job.js";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const NAMESPACE = "kmm-preflight";
const TLS_SECRET = "kmm-preflight-webhook-tls";
const WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection", "*", "escalate", "bind", "impersonate"];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [field: string]: unknown;
}

const run = promisify(execFile);

/** `kubectl kustomize <dir>`, parsed. kubectl is part of the dev environment; say so when it is missing. */
async function kustomize(dir: string): Promise<K8sObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("kubectl", ["kustomize", dir], { cwd: REPO_ROOT, maxBuffer: 32 * 1024 * 1024 }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") {
      throw new Error(
        "kubectl is not on PATH. These tests render manifests/ with `kubectl kustomize`; install kubectl " +
          "(1.27 or later, it bundles kustomize), which is part of the kmm-preflight dev environment.",
      );
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${e.stderr ?? e.message}`);
  }
  return parseAllDocuments(stdout, { version: "1.1" }).flatMap((doc) => {
    assert.deepEqual(doc.errors, [], `${dir}: YAML errors`);
    const obj = doc.toJS() as K8sObject | null;
    return obj ? [obj] : [];
  });
}

function find<T>(objects: readonly K8sObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  assert.equal(found.length, 1, `expected exactly one ${kind} ${name}, found ${found.length}`);
  return found[0] as T;
}

const ids = (objects: readonly K8sObject[]) =>
  objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`).sort();

const BASE_OBJECTS = [
  `ClusterRole ${NAMESPACE}`,
  `ClusterRoleBinding ${NAMESPACE}`,
  `CustomResourceDefinition ${preflightCrd.metadata.name}`,
  `Deployment ${NAMESPACE}/kmm-preflight`,
  `MutatingWebhookConfiguration kmm-preflight-mutating`,
  `Namespace ${NAMESPACE}`,
  `PodDisruptionBudget ${NAMESPACE}/kmm-preflight`,
  `Role ${NAMESPACE}/kmm-preflight-leader-election`,
  `Role openshift-config/kmm-preflight-release-pull-secret`,
  `RoleBinding ${NAMESPACE}/kmm-preflight-leader-election`,
  `RoleBinding openshift-config/kmm-preflight-release-pull-secret`,
  `Service ${NAMESPACE}/kmm-preflight`,
  `ServiceAccount ${NAMESPACE}/kmm-preflight`,
  `ValidatingWebhookConfiguration kmm-preflight-module-policy`,
  `ValidatingWebhookConfiguration kmm-preflight-validating`,
];

/** Whether a namespace with `labels` matches a webhook's namespaceSelector (matchLabels and the operators used here). */
function selects(selector: V1ValidatingWebhook["namespaceSelector"], labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector?.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === "In") return has && e.values!.includes(labels[e.key]!);
    if (e.operator === "NotIn") return !has || !e.values!.includes(labels[e.key]!);
    if (e.operator === "Exists") return has;
    if (e.operator === "DoesNotExist") return !has;
    throw new Error(`operator ${e.operator}`);
  });
  return byLabels && byExpressions;
}

describe("webhook paths", () => {
  it("follow kubebuilder's convention for the PreflightValidationOCP resource", () => {
    const suffix = `${GROUP.replaceAll(".", "-")}-${PREFLIGHT_VERSION}-${PREFLIGHT_KIND.toLowerCase()}`;
    assert.equal(MUTATE_PREFLIGHT_PATH, `/mutate-${suffix}`);
    assert.equal(VALIDATE_PREFLIGHT_PATH, `/validate-${suffix}`);
  });

  it("follow it for Module, as KMM's own webhook does, with a suffix for enforce mode", () => {
    const path = `/validate-${GROUP.replaceAll(".", "-")}-${MODULE_VERSION}-${MODULE_KIND.toLowerCase()}`;
    assert.equal(VALIDATE_MODULE_PATH, path);
    assert.equal(VALIDATE_MODULE_ENFORCE_PATH, `${path}-enforce`);
  });
});

describe("kubectl kustomize manifests/", () => {
  let objects: K8sObject[];
  let deployment: V1Deployment;
  let container: V1Container;
  let service: V1Service;
  before(async () => {
    objects = await kustomize("manifests");
    deployment = find<V1Deployment>(objects, "Deployment", "kmm-preflight");
    container = deployment.spec!.template.spec!.containers[0]!;
    service = find<V1Service>(objects, "Service", "kmm-preflight");
  });

  describe("given the default install", () => {
    it("renders exactly the expected objects: no Secret, no Module CRD", () => {
      assert.deepEqual(ids(objects), [...BASE_OBJECTS].sort());
      assert.ok(!objects.some((o) => o.metadata.name === moduleCrd.metadata.name), "the Module CRD is optional only");
      assert.ok(!objects.some((o) => o.kind === "Secret"), "no key material ships in manifests/");
    });

    it("includes the CRD exactly as src/api/crd/preflight-crd.ts defines it", () => {
      assert.deepEqual(find(objects, "CustomResourceDefinition", preflightCrd.metadata.name!), preflightCrd);
    });

    it("puts every namespaced object in the kmm-preflight namespace", () => {
      const clusterScoped = new Set([
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
      ]);
      // The release pull secret's Role lives beside that Secret.
      for (const o of objects.filter((o) => !clusterScoped.has(o.kind) && o.metadata.namespace !== "openshift-config")) {
        assert.equal(o.metadata.namespace, NAMESPACE, `${o.kind} ${o.metadata.name}`);
      }
    });
  });

  describe("webhook configurations", () => {
    const cases = [
      { kind: "MutatingWebhookConfiguration", name: "kmm-preflight-mutating", path: MUTATE_PREFLIGHT_PATH },
      { kind: "ValidatingWebhookConfiguration", name: "kmm-preflight-validating", path: VALIDATE_PREFLIGHT_PATH },
    ];
    for (const { kind, name, path } of cases) {
      describe(`given ${kind} ${name}`, () => {
        let webhook: V1MutatingWebhook | V1ValidatingWebhook;
        before(() => {
          const config = find<V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration>(objects, kind, name);
          assert.equal(config.webhooks?.length, 1);
          webhook = config.webhooks![0]!;
        });

        it("fails closed, declares no side effects, answers fast, speaks admission/v1", () => {
          assert.equal(webhook.failurePolicy, "Fail");
          assert.equal(webhook.sideEffects, "None", "the webhooks write nothing, dry run or not");
          assert.ok(webhook.timeoutSeconds !== undefined && webhook.timeoutSeconds <= 10, "timeoutSeconds ≤ 10");
          assert.deepEqual(webhook.admissionReviewVersions, ["v1"]);
          assert.equal(webhook.matchPolicy, "Equivalent");
        });

        it("calls the server's path through the Service on 443", () => {
          assert.deepEqual(webhook.clientConfig.service, {
            name: service.metadata!.name,
            namespace: service.metadata!.namespace,
            port: 443,
            path,
          });
          assert.equal(webhook.clientConfig.url, undefined);
          assert.equal(webhook.clientConfig.caBundle, undefined, "caBundle is injected at install time");
        });

        it("intercepts CREATE and UPDATE of PreflightValidationOCP only, not its status", () => {
          assert.deepEqual(webhook.rules, [
            {
              apiGroups: [GROUP],
              apiVersions: [PREFLIGHT_VERSION],
              resources: [PREFLIGHT_PLURAL],
              operations: ["CREATE", "UPDATE"],
              scope: "Cluster",
            },
          ]);
        });

        it("is not annotated for cert-manager in the default install", () => {
          const config = find<K8sObject>(objects, kind, name);
          assert.equal(config.metadata.annotations?.["cert-manager.io/inject-ca-from"], undefined);
        });
      });
    }
  });

  describe("given ValidatingWebhookConfiguration kmm-preflight-module-policy", () => {
    let webhooks: V1ValidatingWebhook[];
    before(() => {
      webhooks = find<V1ValidatingWebhookConfiguration>(objects, "ValidatingWebhookConfiguration", "kmm-preflight-module-policy").webhooks ?? [];
    });

    it("has the warning and the enforcing webhook, calling their paths through the Service on 443", () => {
      assert.deepEqual(
        webhooks.map((w) => [w.name, w.clientConfig.service]),
        [
          ["vmodule.kmm-preflight.io", { name: service.metadata!.name, namespace: service.metadata!.namespace, port: 443, path: VALIDATE_MODULE_PATH }],
          ["vmodule-enforce.kmm-preflight.io", { name: service.metadata!.name, namespace: service.metadata!.namespace, port: 443, path: VALIDATE_MODULE_ENFORCE_PATH }],
        ],
      );
      for (const w of webhooks) assert.equal(w.clientConfig.caBundle, undefined, "caBundle is injected at install time");
    });

    it("fails open (KMM keeps working without kmm-preflight), declares no side effects, answers fast, speaks admission/v1", () => {
      for (const w of webhooks) {
        assert.equal(w.failurePolicy, "Ignore", w.name);
        assert.equal(w.sideEffects, "None", w.name);
        assert.ok(w.timeoutSeconds !== undefined && w.timeoutSeconds <= 5, `${w.name}: timeoutSeconds ≤ 5`);
        assert.deepEqual(w.admissionReviewVersions, ["v1"]);
        assert.equal(w.matchPolicy, "Equivalent");
      }
    });

    it("intercepts CREATE and UPDATE of Modules only, not their status", () => {
      for (const w of webhooks) {
        assert.deepEqual(w.rules, [{ apiGroups: [GROUP], apiVersions: [MODULE_VERSION], resources: [MODULE_PLURAL], operations: ["CREATE", "UPDATE"], scope: "Namespaced" }]);
      }
    });

    it("sends each namespace's Modules to exactly one of the two: the enforcing one only for the enforce label", () => {
      const cases: [Record<string, string>, string][] = [
        [{}, "vmodule.kmm-preflight.io"],
        [{ "kubernetes.io/metadata.name": "drivers" }, "vmodule.kmm-preflight.io"],
        [{ [MODULE_POLICY_LABEL]: "warn" }, "vmodule.kmm-preflight.io"],
        [{ [MODULE_POLICY_LABEL]: MODULE_POLICY_ENFORCE }, "vmodule-enforce.kmm-preflight.io"],
      ];
      for (const [labels, want] of cases) {
        assert.deepEqual(webhooks.filter((w) => selects(w.namespaceSelector, labels)).map((w) => w.name), [want], JSON.stringify(labels));
      }
    });
  });

  describe("Service", () => {
    it("sends port 443 to the container's 8443 and exposes the metrics port", () => {
      assert.deepEqual(service.spec!.ports!.map((p) => p.name), ["https", "metrics"]);
      const targetOf = (name: string) => {
        const port = service.spec!.ports!.find((p) => p.name === name)!;
        return { port: port.port, container: container.ports!.find((p) => p.name === port.targetPort || p.containerPort === port.targetPort)?.containerPort };
      };
      assert.deepEqual(targetOf("https"), { port: 443, container: 8443 });
      assert.deepEqual(targetOf("metrics"), { port: 8080, container: 8080 });
    });

    it("selects the Deployment's pods", () => {
      const labels = deployment.spec!.template.metadata!.labels!;
      for (const [k, v] of Object.entries(service.spec!.selector!)) assert.equal(labels[k], v, `selector ${k}`);
    });
  });

  describe("Deployment", () => {
    it("runs two replicas of the kmm-preflight image, overridable through kustomize images", () => {
      assert.equal(deployment.spec!.replicas, 2);
      assert.equal(container.image, "kmm-preflight:latest");
      assert.deepEqual(container.args, ["serve"]);
    });

    it("configures the server through its environment", () => {
      const env = Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      assert.equal(env["PORT"], "8443");
      assert.equal(env["CERT_DIR"], "/certs");
      assert.equal(env["LOG_LEVEL"], "info");
      assert.equal(env["SHUTDOWN_DELAY_SECONDS"], "5");
      assert.equal(env["GENERATE_CERTS"], "false");
      assert.deepEqual(container.ports, [
        { name: "https", containerPort: Number(env["PORT"]), protocol: "TCP" },
        { name: "metrics", containerPort: Number(env["METRICS_PORT"]), protocol: "TCP" },
      ]);
      const drain = Number(env["SHUTDOWN_DELAY_SECONDS"]) + Number(env["SHUTDOWN_TIMEOUT_SECONDS"]);
      assert.ok(drain < deployment.spec!.template.spec!.terminationGracePeriodSeconds!, "shutdown fits the grace period");
      // Handing the Lease over runs beside the drain: an in-flight attempt is aborted at once, the
      // leader's work gets leaseDuration - renewDeadline to stop, then the release one renew deadline:
      // a lease duration in all.
      const served = parseServeConfig([], Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)));
      assert.ok(served.ok, served.ok ? "" : served.errors.join("; "));
      assert.equal(served.config.leaderElect, true);
      const handover = served.config.leaseDurationSeconds;
      assert.ok(handover < deployment.spec!.template.spec!.terminationGracePeriodSeconds!, `the Lease hand-over (${handover} s at worst) fits the grace period`);
      assert.equal(deployment.spec!.template.spec!.terminationGracePeriodSeconds, 30);
    });

    it("mounts the TLS Secret read-only at CERT_DIR", () => {
      const mount = container.volumeMounts!.find((m) => m.mountPath === "/certs");
      assert.equal(mount?.readOnly, true);
      const volume = deployment.spec!.template.spec!.volumes!.find((v) => v.name === mount!.name);
      assert.equal(volume?.secret?.secretName, TLS_SECRET);
      assert.equal(volume?.secret?.optional, undefined, "pods must not start without their certificate");
    });

    it("probes /readyz and /healthz over HTTPS on the webhook port", () => {
      assert.deepEqual(container.readinessProbe?.httpGet, { scheme: "HTTPS", path: "/readyz", port: "https" });
      assert.deepEqual(container.livenessProbe?.httpGet, { scheme: "HTTPS", path: "/healthz", port: "https" });
      assert.equal(container.startupProbe?.httpGet?.path, "/healthz");
    });

    it("is hardened: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
      const pod = deployment.spec!.template.spec!.securityContext!;
      assert.equal(pod.runAsNonRoot, true);
      assert.equal(pod.runAsUser, 65532);
      assert.equal(pod.seccompProfile?.type, "RuntimeDefault");
      const c = container.securityContext!;
      assert.equal(c.runAsNonRoot, true);
      assert.equal(c.readOnlyRootFilesystem, true);
      assert.equal(c.allowPrivilegeEscalation, false);
      assert.equal(c.privileged, false);
      assert.deepEqual(c.capabilities, { drop: ["ALL"] });
      assert.equal(c.seccompProfile?.type, "RuntimeDefault");
      assert.ok(!deployment.spec!.template.spec!.hostNetwork && !deployment.spec!.template.spec!.hostPID);
    });

    it("runs as the image's user", async () => {
      const dockerfile = await readFile(new URL("../Dockerfile", import.meta.url), "utf8");
      const user = /^USER\s+(\d+)/m.exec(dockerfile)?.[1];
      assert.equal(Number(user), deployment.spec!.template.spec!.securityContext!.runAsUser, "Dockerfile USER");
      assert.match(dockerfile, /^EXPOSE\s+8443\b/m);
    });

    it("requests and limits memory as measured by bench/memory (README, Resources), with no CPU limit", () => {
      assert.deepEqual(container.resources?.requests, { cpu: "50m", memory: "336Mi" });
      assert.deepEqual(container.resources?.limits, { memory: "608Mi" });
    });

    it("spreads replicas across nodes", () => {
      const spread = deployment.spec!.template.spec!.topologySpreadConstraints ?? [];
      const byNode = spread.find((t) => t.topologyKey === "kubernetes.io/hostname");
      assert.ok(byNode, "a kubernetes.io/hostname spread constraint");
      assert.deepEqual(byNode.labelSelector?.matchLabels, deployment.spec!.selector.matchLabels);
    });

    it("uses the kmm-preflight ServiceAccount", () => {
      assert.equal(deployment.spec!.template.spec!.serviceAccountName, "kmm-preflight");
    });
  });

  describe("PodDisruptionBudget", () => {
    it("keeps at least one replica of the Deployment", () => {
      const pdb = find<V1PodDisruptionBudget>(objects, "PodDisruptionBudget", "kmm-preflight");
      assert.equal(pdb.spec!.minAvailable, 1);
      assert.deepEqual(pdb.spec!.selector?.matchLabels, deployment.spec!.selector.matchLabels);
    });
  });

  describe("RBAC", () => {
    it("grants exactly the verbs the server uses, writes only on status, Jobs and Events, and no Secret", () => {
      const role = find<V1ClusterRole>(objects, "ClusterRole", "kmm-preflight");
      assert.deepEqual(role.rules, [
        { apiGroups: [GROUP], resources: [PREFLIGHT_PLURAL], verbs: ["get", "list", "watch"] },
        { apiGroups: [GROUP], resources: [`${PREFLIGHT_PLURAL}/status`], verbs: ["update", "patch"] },
        { apiGroups: [GROUP], resources: ["modules"], verbs: ["get", "list", "watch"] },
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "delete", "get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch", "list", "watch"] },
      ]);
      const writable = new Set(["preflightvalidationsocp/status", "jobs", "events"]);
      for (const rule of role.rules ?? []) {
        if (!rule.resources!.every((r) => writable.has(r))) assert.deepEqual(rule.verbs.filter((v) => WRITE_VERBS.includes(v)), [], `no write verbs on ${rule.resources}`);
        assert.ok(!rule.resources?.includes("*") && !rule.apiGroups?.includes("*") && !rule.verbs.includes("*"), "no wildcards");
        assert.ok(!rule.resources?.includes("secrets"), "no cluster-wide Secret read");
      }
      assert.equal(role.aggregationRule, undefined);
    });

    it("lets the runner create its Jobs where OwnerReferencesPermissionEnforcement runs (OpenShift): blockOwnerDeletion only with update on the owner's finalizers", () => {
      const role = find<V1ClusterRole>(objects, "ClusterRole", "kmm-preflight");
      const mayBlock = (role.rules ?? []).some((r) => r.apiGroups?.includes(GROUP) && r.resources?.includes(`${PREFLIGHT_PLURAL}/finalizers`) && r.verbs.includes("update"));
      const owner: { controller?: boolean; blockOwnerDeletion?: boolean } = ownerReferenceTo({ name: "upgrade", uid: "pf-uid" });
      assert.equal(owner.controller, true, "the PreflightValidationOCP controls its Jobs");
      assert.ok(mayBlock || !owner.blockOwnerDeletion, "the API server refuses a Job whose ownerReference sets blockOwnerDeletion without that grant");
    });

    it("lets the server read the release pull secret it is configured with, by name, and nothing else", () => {
      const served = parseServeConfig([], {});
      assert.ok(served.ok);
      const { namespace, name } = served.config.releasePullSecret;
      const role = find<V1Role>(objects, "Role", "kmm-preflight-release-pull-secret");
      assert.equal(role.metadata!.namespace, namespace);
      assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["secrets"], resourceNames: [name], verbs: ["get"] }]);
      const binding = find<V1RoleBinding>(objects, "RoleBinding", "kmm-preflight-release-pull-secret");
      assert.equal(binding.metadata!.namespace, namespace);
      assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: deployment.spec!.template.spec!.serviceAccountName, namespace: NAMESPACE }]);
    });

    it("binds the role to the Deployment's ServiceAccount, and nothing else", () => {
      const binding = find<V1ClusterRoleBinding>(objects, "ClusterRoleBinding", "kmm-preflight");
      assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kmm-preflight" });
      assert.deepEqual(binding.subjects, [
        { kind: "ServiceAccount", name: deployment.spec!.template.spec!.serviceAccountName, namespace: NAMESPACE },
      ]);
    });

    it("lets the replicas create the leader Lease and read and renew only that one, in their own namespace", () => {
      const role = find<V1Role>(objects, "Role", "kmm-preflight-leader-election");
      const served = parseServeConfig([], {});
      assert.ok(served.ok);
      assert.equal(role.metadata!.namespace, NAMESPACE);
      assert.deepEqual(role.rules, [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: [served.config.leaderElectionId], verbs: ["get", "update"] },
      ]);
      const binding = find<V1RoleBinding>(objects, "RoleBinding", "kmm-preflight-leader-election");
      assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata!.name });
      assert.deepEqual(binding.subjects, [{ kind: "ServiceAccount", name: deployment.spec!.template.spec!.serviceAccountName, namespace: NAMESPACE }]);
      assert.equal(objects.filter((o) => o.kind === "Role" || o.kind === "RoleBinding").length, 4, "no other namespaced grants than the Lease's and the release pull secret's");
    });

    it("names each replica in the Lease by its pod name", () => {
      const podName = container.env?.find((e) => e.name === "POD_NAME");
      assert.deepEqual(podName?.valueFrom, { fieldRef: { fieldPath: "metadata.name" } });
      assert.equal(container.env?.find((e) => e.name === "LEADER_ELECTION_ID"), undefined, "the Role names the default Lease");
    });
  });
});

describe("kubectl kustomize manifests/overlays/kubernetes", () => {
  it("is the default install without the Role and RoleBinding in openshift-config, which plain Kubernetes lacks", async () => {
    const objects = await kustomize("manifests/overlays/kubernetes");
    assert.deepEqual(ids(objects), BASE_OBJECTS.filter((id) => !id.includes("openshift-config/")).sort());
  });
});

describe("kubectl kustomize manifests/overlays/cert-manager", () => {
  let objects: K8sObject[];
  before(async () => {
    objects = await kustomize("manifests/overlays/cert-manager");
  });

  type Issuer = K8sObject & { spec: { selfSigned?: object; ca?: { secretName: string } } };
  type Certificate = K8sObject & {
    spec: { secretName: string; dnsNames?: string[]; isCA?: boolean; issuerRef: { kind: string; name: string }; privateKey?: { rotationPolicy?: string } };
  };

  it("adds a CA chain to the default install: a self-signed Issuer, a CA Certificate, a CA Issuer and the serving Certificate", () => {
    assert.deepEqual(
      ids(objects),
      [
        ...BASE_OBJECTS,
        `Certificate ${NAMESPACE}/kmm-preflight-ca`,
        `Certificate ${NAMESPACE}/kmm-preflight-serving-cert`,
        `Issuer ${NAMESPACE}/kmm-preflight-ca`,
        `Issuer ${NAMESPACE}/kmm-preflight-selfsigned`,
      ].sort(),
    );
  });

  it("chains self-signed root -> CA certificate -> serving certificate, so renewing the serving certificate keeps the CA", () => {
    const serving = find<Certificate>(objects, "Certificate", "kmm-preflight-serving-cert");
    const caIssuer = find<Issuer>(objects, serving.spec.issuerRef.kind, serving.spec.issuerRef.name);
    assert.ok(caIssuer.spec.ca, "the serving certificate comes from a CA Issuer, not a self-signed one");
    const ca = objects.filter((o): o is Certificate => o.kind === "Certificate" && (o as Certificate).spec.secretName === caIssuer.spec.ca!.secretName);
    assert.equal(ca.length, 1, "one Certificate writes the CA Issuer's Secret");
    assert.equal(ca[0]!.spec.isCA, true);
    assert.ok(find<Issuer>(objects, ca[0]!.spec.issuerRef.kind, ca[0]!.spec.issuerRef.name).spec.selfSigned, "the CA is self-signed");
    assert.equal(ca[0]!.spec.privateKey?.rotationPolicy, "Never", "a renewed CA keeps its key, so serving certificates it signed before still verify");
    assert.equal(serving.spec.privateKey?.rotationPolicy, "Always");
  });

  it("issues the Secret the Deployment mounts, for the Service's DNS names", () => {
    const cert = find<Certificate>(objects, "Certificate", "kmm-preflight-serving-cert");
    assert.equal(cert.spec.secretName, TLS_SECRET);
    const deployment = find<V1Deployment>(objects, "Deployment", "kmm-preflight");
    assert.ok(deployment.spec!.template.spec!.volumes!.some((v) => v.secret?.secretName === cert.spec.secretName));
    assert.deepEqual([...cert.spec.dnsNames!].sort(), [
      "kmm-preflight",
      "kmm-preflight.kmm-preflight",
      "kmm-preflight.kmm-preflight.svc",
      "kmm-preflight.kmm-preflight.svc.cluster.local",
    ]);
  });

  it("has cert-manager inject the CA certificate (not the serving one) into every webhook configuration", () => {
    for (const [kind, name] of [
      ["MutatingWebhookConfiguration", "kmm-preflight-mutating"],
      ["ValidatingWebhookConfiguration", "kmm-preflight-validating"],
      ["ValidatingWebhookConfiguration", "kmm-preflight-module-policy"],
    ] as const) {
      const from = find<K8sObject>(objects, kind, name).metadata.annotations?.["cert-manager.io/inject-ca-from"];
      assert.equal(from, `${NAMESPACE}/kmm-preflight-ca`, `${kind} ${name}`);
      assert.equal(find<Certificate>(objects, "Certificate", from!.split("/")[1]!).spec.isCA, true);
    }
  });
});

describe("kubectl kustomize manifests/optional/module-crd", () => {
  it("renders only the Module CRD, as src/api/crd/module-crd.ts defines it", async () => {
    assert.deepEqual(await kustomize("manifests/optional/module-crd"), [moduleCrd]);
  });
});
