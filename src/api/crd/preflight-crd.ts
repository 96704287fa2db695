// The PreflightValidationOCP CustomResourceDefinition, written as data next to the types it describes
// (what controller-gen derives from kubebuilder markers). `npm run manifests` renders it to
// manifests/crd/preflightvalidationocp.yaml; preflight-crd.test.ts fails when the two differ.
//
// The `satisfies Record<keyof …>` clauses make the compiler reject a schema whose properties differ
// from the TypeScript types in ../preflight-validation-ocp.ts, the source of truth.

import {
  MAX_KERNEL_VERSION_LENGTH,
  MAX_RELEASE_IMAGE_LENGTH,
  MAX_STATUS_MODULES,
  MAX_STATUS_REASON_LENGTH,
  PREFLIGHT_KIND,
  PREFLIGHT_PLURAL,
  PREFLIGHT_SHORT_NAMES,
  PREFLIGHT_SINGULAR,
  PREFLIGHT_VERSION,
  VERIFICATION_STAGES,
  VERIFICATION_STATUSES,
  type Condition,
  type PreflightModuleStatus,
  type PreflightSummary,
  type PreflightValidationOCPSpec,
  type PreflightValidationOCPStatus,
} from "../preflight-validation-ocp.js";
import {
  OBJECT_ROOT_PROPERTIES,
  customResourceDefinition,
  type CustomResourceColumnDefinition,
  type CustomResourceDefinition,
  type JSONSchemaProps,
  type RequiredKeys,
} from "./types.js";


/** Kubernetes limits: namespaces are DNS labels, object names DNS subdomains. */
const MAX_NAMESPACE_LENGTH = 63;
const MAX_NAME_LENGTH = 253;

/** Category shared with `kubectl get kmm`. */
export const PREFLIGHT_CATEGORIES = ["kmm"] as const;

const specProperties = {
  releaseImage: {
    type: "string",
    minLength: 1,
    maxLength: MAX_RELEASE_IMAGE_LENGTH,
    description:
      "OpenShift release image the cluster will be upgraded to, preferably by digest " +
      "(quay.io/openshift-release-dev/ocp-release@sha256:...). Every Module is validated against the kernel " +
      "of this release's driver-toolkit image. Immutable: to validate another release, create another " +
      "PreflightValidationOCP.",
    "x-kubernetes-validations": [
      {
        rule: "self == oldSelf",
        message:
          "releaseImage is immutable; create a new PreflightValidationOCP to validate against another release",
      },
    ],
  },
  pushBuiltImage: {
    type: "boolean",
    default: false,
    description:
      "Push the images produced by the build and sign stages to the repositories named in each Module. " +
      "Needed when a Module both builds and signs: the sign stage reads the pushed build output. Defaults to false.",
  },
  useRTKernel: {
    type: "boolean",
    default: false,
    description:
      "Validate against the release's real-time kernel instead of the standard one. Immutable: to validate " +
      "the other kernel, create another PreflightValidationOCP. Defaults to false.",
    "x-kubernetes-validations": [
      {
        rule: "self == oldSelf",
        message:
          "useRTKernel is immutable; create a new PreflightValidationOCP to validate against the other kernel",
      },
    ],
  },
} satisfies Record<keyof PreflightValidationOCPSpec, JSONSchemaProps>;

const specRequired = ["releaseImage"] satisfies RequiredKeys<PreflightValidationOCPSpec>[];

const moduleStatusProperties = {
  namespace: {
    type: "string",
    minLength: 1,
    maxLength: MAX_NAMESPACE_LENGTH,
    description: "Namespace of the Module. With name, identifies this entry.",
  },
  name: {
    type: "string",
    minLength: 1,
    maxLength: MAX_NAME_LENGTH,
    description: "Name of the Module. With namespace, identifies this entry.",
  },
  lastTransitionTime: {
    type: "string",
    format: "date-time",
    description:
      "When verificationStage or verificationStatus last changed (RFC 3339), not merely when the entry was rewritten.",
  },
  statusReason: {
    type: "string",
    maxLength: MAX_STATUS_REASON_LENGTH,
    description: "Human-readable explanation of the current stage and status.",
  },
  verificationStage: {
    type: "string",
    enum: VERIFICATION_STAGES,
    description:
      "Stage being executed: image (the Module's image exists and holds the kernel module), " +
      "build (the Module's build succeeds), sign (the Module's sign succeeds).",
  },
  verificationStatus: {
    type: "string",
    enum: VERIFICATION_STATUSES,
    description:
      'Result of the stage, as a string: "true" (verified), "false" (verification failed), ' +
      '"error" (the verification itself failed), "unknown" (verification has not started).',
  },
  specHash: {
    type: "string",
    maxLength: 64,
    description:
      "Hash of the parts of the Module's spec this verdict was reached for (kmm-preflight's bookkeeping): a Module " +
      "whose hash changes is validated again from the image stage.",
  },
  lastCheckTime: {
    type: "string",
    format: "date-time",
    description: "When the current stage last finished (RFC 3339); a failed Module is checked again some time after it.",
  },
  consecutiveErrors: {
    type: "integer",
    format: "int32",
    description: "Checks in a row that ended in error; the retry backoff grows with it.",
  },
} satisfies Record<keyof PreflightModuleStatus, JSONSchemaProps>;

// Every list-map key must be required (or defaulted): the API server rejects the CRD otherwise.
const moduleStatusRequired = [
  "namespace",
  "name",
  "lastTransitionTime",
  "verificationStage",
  "verificationStatus",
] satisfies RequiredKeys<PreflightModuleStatus>[];

/** Kubernetes' metav1.Condition schema, as controller-gen renders it. */
const conditionProperties = {
  type: { type: "string", maxLength: 316, description: "Type of the condition: Complete or Verified." },
  status: { type: "string", enum: ["True", "False", "Unknown"], description: "Status of the condition." },
  observedGeneration: { type: "integer", format: "int64", description: "The metadata.generation the condition was set for." },
  lastTransitionTime: { type: "string", format: "date-time", description: "When the status last changed." },
  reason: { type: "string", minLength: 1, maxLength: 1024, description: "CamelCase reason for the last transition." },
  message: { type: "string", maxLength: 32768, description: "Human-readable details." },
} satisfies Record<keyof Condition, JSONSchemaProps>;

const conditionRequired = ["type", "status", "lastTransitionTime", "reason", "message"] satisfies RequiredKeys<Condition>[];

const count = (description: string): JSONSchemaProps => ({ type: "integer", format: "int32", description });
const summaryProperties = {
  verified: count('Modules whose verificationStatus is "true".'),
  failed: count('Modules whose verificationStatus is "false": they would not load on the upgraded kernel as they stand.'),
  errors: count('Modules whose verificationStatus is "error": they could not be checked (retried).'),
  pending: count('Modules whose verificationStatus is "unknown": not checked yet, or being checked.'),
} satisfies Record<keyof PreflightSummary, JSONSchemaProps>;

const statusProperties = {
  conditions: {
    type: "array",
    description:
      "Complete: True once every Module has a verdict (none unknown). Verified: True when every Module is verified. " +
      "Wait for both with kubectl wait --for=condition=Complete.",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
    items: { type: "object", required: conditionRequired, properties: conditionProperties },
  },
  observedGeneration: { type: "integer", format: "int64", description: "The metadata.generation this status was computed for." },
  kernelVersion: { type: "string", maxLength: MAX_KERNEL_VERSION_LENGTH, description: "Kernel of the release image (and flavour) that Modules are validated against." },
  summary: {
    type: "object",
    description: "Counts of status.modules by verificationStatus.",
    properties: summaryProperties,
  },
  modules: {
    type: "array",
    maxItems: MAX_STATUS_MODULES,
    description:
      "One entry per Module this PreflightValidationOCP validates or has validated, keyed by namespace and name.",
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["namespace", "name"],
    items: {
      type: "object",
      required: moduleStatusRequired,
      properties: moduleStatusProperties,
    },
  },
} satisfies Record<keyof PreflightValidationOCPStatus, JSONSchemaProps>;

// Columns of `kubectl get pfvo`. There is deliberately no per-Module column: the API server prints
// only the first match of a JSONPath, so `.status.modules[*].verificationStatus` would show the
// first Module's status as if it were the whole result; the summary and conditions say it whole.
const printerColumns: CustomResourceColumnDefinition[] = [
  { name: "Kernel", type: "string", jsonPath: ".status.kernelVersion", description: "Kernel of the release being validated against" },
  {
    name: "Verified",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Verified")].status',
    description: "True when every Module is verified for that kernel",
  },
  { name: "Failed", type: "integer", jsonPath: ".status.summary.failed", description: "Modules that would not load on that kernel" },
  { name: "Errors", type: "integer", jsonPath: ".status.summary.errors", description: "Modules that could not be checked" },
  { name: "Pending", type: "integer", jsonPath: ".status.summary.pending", description: "Modules not checked yet, or being checked" },
  {
    name: "Release",
    type: "string",
    jsonPath: ".spec.releaseImage",
    description: "Release image whose kernel is validated",
    priority: 1,
  },
  {
    name: "RT",
    type: "boolean",
    jsonPath: ".spec.useRTKernel",
    description: "Whether the real-time kernel is validated",
    priority: 1,
  },
  {
    name: "Push",
    type: "boolean",
    jsonPath: ".spec.pushBuiltImage",
    description: "Whether built and signed images are pushed",
    priority: 1,
  },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
];

export const preflightCrd: CustomResourceDefinition = customResourceDefinition(
  { kind: PREFLIGHT_KIND, plural: PREFLIGHT_PLURAL, singular: PREFLIGHT_SINGULAR, shortNames: [...PREFLIGHT_SHORT_NAMES], categories: [...PREFLIGHT_CATEGORIES] },
  "Cluster",
  [
    {
      name: PREFLIGHT_VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: printerColumns,
      schema: {
        openAPIV3Schema: {
          type: "object",
          description:
            "PreflightValidationOCP checks, before an OpenShift upgrade, that every KMM Module in the cluster " +
            "will load on the kernel of the target release. Create one per release (and kernel flavour); " +
            "delete it once every Module is validated.",
          required: ["spec"],
          properties: {
            ...OBJECT_ROOT_PROPERTIES,
            spec: {
              type: "object",
              description: "What to validate against. Checked by the kmm-preflight admission webhook as well.",
              required: specRequired,
              properties: specProperties,
            },
            status: {
              type: "object",
              description:
                "Progress of the validation, written by kmm-preflight through the status subresource. Read-only.",
              properties: statusProperties,
            },
          },
        },
      },
    },
  ],
);
