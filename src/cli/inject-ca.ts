import { parseAllDocuments } from "yaml";

const WEBHOOK_KINDS = new Set(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);

/**
 * Sets `caBundle` on every webhook of the webhook configurations in a YAML stream, leaving other
 * documents as they are, so `kubectl kustomize manifests/ | kmm-preflight inject-ca --ca certs/ca.crt | kubectl apply -f -`
 * installs webhooks that trust the generated CA.
 */
export function injectCaBundle(yamlText: string, caPem: string, caSource = "the CA file"): { yaml: string; injected: number } {
  if (!caPem.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${caSource} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----, as in certs/ca.crt)`);
  const caBundle = Buffer.from(caPem).toString("base64");
  let injected = 0;
  const docs = parseAllDocuments(yamlText);
  const list = Array.isArray(docs) ? docs : [docs];
  const out: string[] = [];
  for (const doc of list) {
    if (doc.errors.length) throw new Error(`input is not valid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    if (doc.contents === null) continue;
    if (WEBHOOK_KINDS.has(String(doc.get("kind")))) {
      const webhooks: unknown = doc.toJS()?.webhooks;
      if (webhooks !== undefined && !Array.isArray(webhooks)) throw new Error(`${String(doc.get("kind"))} ${String(doc.getIn(["metadata", "name"]))}: webhooks must be a list`);
      (webhooks ?? []).forEach((w: unknown, i: number) => {
        if (typeof w !== "object" || w === null) throw new Error(`${String(doc.get("kind"))} ${String(doc.getIn(["metadata", "name"]))}: webhooks[${i}] must be an object`);
        doc.setIn(["webhooks", i, "clientConfig", "caBundle"], caBundle);
        injected++;
      });
    }
    // Documents after the first remember their `---`; the join below writes the separators.
    if (doc.directives) doc.directives.docStart = null;
    out.push(doc.toString());
  }
  return { yaml: out.join("---\n"), injected };
}
