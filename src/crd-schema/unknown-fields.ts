import type { JSONSchemaProps } from "../api/crd/types.js";
import { closestName } from "../validation/suggest.js";
import { isObject } from "../util/is-object.js";

// The API server's strict field validation for a custom resource (kubectl's default, --validate=strict):
// a field the CRD's structural schema does not declare is refused before any webhook runs, with
// `strict decoding error: unknown field "spec.relaseImage"`. The schema of `metadata` in a CRD is
// only `type: object`; the API server checks it against ObjectMeta, as below.

const STRING: JSONSchemaProps = { type: "string" };
const STRING_MAP: JSONSchemaProps = { type: "object", additionalProperties: STRING };
const free = (type: JSONSchemaProps["type"]): JSONSchemaProps => ({ type });

/** meta/v1 ObjectMeta as the API server decodes it (clusterName is gone since Kubernetes 1.25). */
export const OBJECT_META_SCHEMA: JSONSchemaProps = {
  type: "object",
  properties: {
    name: STRING,
    generateName: STRING,
    namespace: STRING,
    selfLink: STRING,
    uid: STRING,
    resourceVersion: STRING,
    generation: free("integer"),
    creationTimestamp: STRING,
    deletionTimestamp: STRING,
    deletionGracePeriodSeconds: free("integer"),
    labels: STRING_MAP,
    annotations: STRING_MAP,
    finalizers: { type: "array", items: STRING },
    ownerReferences: {
      type: "array",
      items: { type: "object", properties: { apiVersion: STRING, kind: STRING, name: STRING, uid: STRING, controller: free("boolean"), blockOwnerDeletion: free("boolean") } },
    },
    managedFields: {
      type: "array",
      items: {
        type: "object",
        properties: {
          manager: STRING,
          operation: STRING,
          apiVersion: STRING,
          time: STRING,
          fieldsType: STRING,
          fieldsV1: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          subresource: STRING,
        },
      },
    },
  },
};

export interface UnknownField {
  /** As the API server names it: `spec.relaseImage`, `status.modules[0].nmae`. */
  readonly path: string;
  /** A declared field the name is close to, if any. */
  readonly suggestion?: string;
}

function walk(value: unknown, schema: JSONSchemaProps, path: string, out: UnknownField[]): void {
  if (schema["x-kubernetes-preserve-unknown-fields"]) return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => walk(v, schema.items!, `${path}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  const properties = schema.properties;
  for (const [k, v] of Object.entries(value)) {
    const child = path ? `${path}.${k}` : k;
    const declared = properties?.[k] ?? schema.additionalProperties;
    if (declared) walk(v, declared, child, out);
    else if (properties) {
      const suggestion = closestName(k, Object.keys(properties));
      out.push({ path: child, ...(suggestion && { suggestion }) });
    }
    // A schema with neither properties nor additionalProperties declares no fields to check against.
  }
}

/** Every field of `object` that the CRD version's schema (with ObjectMeta for metadata) does not declare. */
export function unknownFields(object: Record<string, unknown>, openAPIV3Schema: JSONSchemaProps): UnknownField[] {
  const out: UnknownField[] = [];
  walk(object, { ...openAPIV3Schema, properties: { ...openAPIV3Schema.properties, metadata: OBJECT_META_SCHEMA } }, "", out);
  return out;
}

/** The API server's words: `unknown field "specc"` (with a suggestion added when one is close). */
export const formatUnknownField = (f: UnknownField) => `unknown field ${JSON.stringify(f.path)}${f.suggestion ? ` (did you mean ${JSON.stringify(f.suggestion)}?)` : ""}`;
