// The subset of apiextensions.k8s.io/v1 that kmm-preflight's CRDs use, typed so that a misspelt
// extension (`x-kubernetes-list-typ`) or a wrong column type fails the type check instead of the
// API server. Field names and meanings follow k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1.

import type { ObjectMeta } from "../meta.js";
import { GROUP } from "../preflight-validation-ocp.js";

export const CRD_API_VERSION = "apiextensions.k8s.io/v1";
export const CRD_KIND = "CustomResourceDefinition";

/** A CEL rule (`x-kubernetes-validations`). `self == oldSelf` makes it a transition rule: it only runs on UPDATE. */
export interface ValidationRule {
  rule: string;
  /** Shown to the user when the rule is false. Say what *is* allowed. */
  message?: string;
}

/** Structural OpenAPI v3 schema, as accepted by apiextensions.k8s.io/v1. */
export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "boolean" | "integer" | "number";
  /** What `kubectl explain` prints. */
  description?: string;
  format?: "date-time" | "int32" | "int64";
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: readonly string[];
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-validations"?: ValidationRule[];
}

/** A column of `kubectl get`. The API server uses only the first JSONPath match, so `[*]` shows one value. */
export interface CustomResourceColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  /** 0: always shown; greater: only with `-o wide`. */
  priority?: number;
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources?: { status?: Record<string, never> };
  additionalPrinterColumns?: CustomResourceColumnDefinition[];
}

export interface CustomResourceDefinition {
  apiVersion: typeof CRD_API_VERSION;
  kind: typeof CRD_KIND;
  metadata: Pick<ObjectMeta, "name" | "labels" | "annotations">;
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    scope: "Cluster" | "Namespaced";
    versions: CustomResourceDefinitionVersion[];
  };
}

/** Keys of `T` that are not optional: what a schema's `required` must list. */
export type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

/** The properties every Kubernetes object has at its root, as the API server's own CRDs describe them. */
export const OBJECT_ROOT_PROPERTIES: Readonly<Record<"apiVersion" | "kind" | "metadata", JSONSchemaProps>> = {
  apiVersion: {
    type: "string",
    description: "Versioned schema of this representation of the object.",
  },
  kind: { type: "string", description: "REST resource this object represents." },
  metadata: { type: "object" },
};

/**
 * A CRD of this API group. Its object name, labels and listKind follow from its names, so every CRD
 * kmm-preflight ships is built the same way.
 */
export function customResourceDefinition(
  names: Omit<CustomResourceDefinition["spec"]["names"], "listKind">,
  scope: CustomResourceDefinition["spec"]["scope"],
  versions: CustomResourceDefinitionVersion[],
): CustomResourceDefinition {
  const { kind, plural, singular, ...optional } = names;
  return {
    apiVersion: CRD_API_VERSION,
    kind: CRD_KIND,
    metadata: { name: `${plural}.${GROUP}`, labels: { "app.kubernetes.io/part-of": "kmm-preflight" } },
    spec: { group: GROUP, names: { kind, listKind: `${kind}List`, plural, singular, ...optional }, scope, versions },
  };
}
