import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import * as sut from "./inject-ca.js";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const INPUT = `apiVersion: v1
kind: Service
metadata:
  name: kmm-preflight
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: v
webhooks:
  - name: a.example.com
    clientConfig:
      service: { name: kmm-preflight, namespace: kmm-preflight, path: /validate }
  - name: b.example.com
    clientConfig:
      service: { name: kmm-preflight, namespace: kmm-preflight, path: /validate2 }
      caBundle: b2xk
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: m
webhooks:
  - name: c.example.com
    clientConfig:
      service: { name: kmm-preflight, namespace: kmm-preflight, path: /mutate }
`;

describe("injectCaBundle()", () => {
  describe("given webhook configurations among other objects", () => {
    it("sets the base64 CA on every webhook and leaves other objects alone", () => {
      const r = sut.injectCaBundle(INPUT, CA);
      assert.equal(r.injected, 3);
      const docs = parseAllDocuments(r.yaml) as unknown as { toJS(): Record<string, any> }[];
      const [svc, v, m] = docs.map((d) => d.toJS());
      assert.deepEqual(svc, { apiVersion: "v1", kind: "Service", metadata: { name: "kmm-preflight" } });
      const want = Buffer.from(CA).toString("base64");
      assert.deepEqual(v!.webhooks.map((w: any) => w.clientConfig.caBundle), [want, want]);
      assert.equal(m!.webhooks[0].clientConfig.caBundle, want);
      assert.equal(m!.webhooks[0].clientConfig.service.path, "/mutate");
    });
  });

  describe("given a webhook configuration whose webhooks are not a list of objects", () => {
    it("refuses with the object's name instead of crashing", () => {
      const bad = "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: v}\nwebhooks: {a: 1}\n";
      assert.throws(() => sut.injectCaBundle(bad, CA), /ValidatingWebhookConfiguration v: webhooks must be a list/);
      assert.throws(() => sut.injectCaBundle(bad.replace("{a: 1}", "[null]"), CA), /webhooks\[0\] must be an object/);
    });
  });

  describe("given a file that is not a PEM certificate", () => {
    it("refuses, saying what it expected", () => {
      assert.throws(() => sut.injectCaBundle(INPUT, "not a cert"), /BEGIN CERTIFICATE/);
    });

    it("names the file it was given", () => {
      assert.throws(() => sut.injectCaBundle(INPUT, "kind: ConfigMap\n", "--ca examples/preflight.yaml"), /^Error: --ca examples\/preflight\.yaml holds no PEM certificate/);
    });
  });
});
