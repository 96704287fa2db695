// HTTP paths of the admission webhooks: the contract between the server's routes and the
// clientConfig.service.path of manifests/webhook/*.yaml (test/manifests.test.ts checks both sides).
// They follow kubebuilder's convention, /<mutate|validate>-<group with dots as dashes>-<version>-<kind
// lowercased>, so they match what KMM itself registers for the same resource.

/** Defaulting (MutatingWebhookConfiguration kmm-preflight-mutating). */
export const MUTATE_PREFLIGHT_PATH = "/mutate-kmm-sigs-x-k8s-io-v1beta2-preflightvalidationocp";

/** Validation (ValidatingWebhookConfiguration kmm-preflight-validating). */
export const VALIDATE_PREFLIGHT_PATH = "/validate-kmm-sigs-x-k8s-io-v1beta2-preflightvalidationocp";

/** Module policy (ValidatingWebhookConfiguration kmm-preflight-module-policy): the rules deny, the preflight checks warn. */
export const VALIDATE_MODULE_PATH = "/validate-kmm-sigs-x-k8s-io-v1beta1-module";

/** Module policy in enforce mode, for namespaces labelled MODULE_POLICY_LABEL=enforce: the preflight checks deny too. */
export const VALIDATE_MODULE_ENFORCE_PATH = "/validate-kmm-sigs-x-k8s-io-v1beta1-module-enforce";

/** The namespace label that selects enforce mode (the webhook configuration's namespaceSelector). */
export const MODULE_POLICY_LABEL = "kmm-preflight.io/module-policy";
export const MODULE_POLICY_ENFORCE = "enforce";
