// HTTP paths of the admission webhooks: the contract between the server's routes and the
// clientConfig.service.path of manifests/webhook/*.yaml (test/manifests.test.ts checks both sides).
// They follow kubebuilder's convention, /<mutate|validate>-<group with dots as dashes>-<version>-<kind
// lowercased>, so they match what KMM itself registers for the same resource.

/** Defaulting (MutatingWebhookConfiguration kmm-preflight-mutating). */
export const MUTATE_PREFLIGHT_PATH = "/mutate-kmm-sigs-x-k8s-io-v1beta2-preflightvalidationocp";

/** Validation (ValidatingWebhookConfiguration kmm-preflight-validating). */
export const VALIDATE_PREFLIGHT_PATH = "/validate-kmm-sigs-x-k8s-io-v1beta2-preflightvalidationocp";
