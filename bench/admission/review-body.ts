// A realistic AdmissionReview, as the API server sends it for `kubectl apply` of a PreflightValidationOCP
// (managedFields, annotations and userInfo included, since they are what makes real bodies ~2-3 KiB).

export function admissionReviewBody(): string {
  const object = {
    apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
    kind: "PreflightValidationOCP",
    metadata: {
      name: "preflight-4-16-3",
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration":
          '{"apiVersion":"kmm.sigs.x-k8s.io/v1beta2","kind":"PreflightValidationOCP","metadata":{"annotations":{},"name":"preflight-4-16-3"},"spec":{"pushBuiltImage":false,"releaseImage":"quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863"}}\n',
      },
      managedFields: [
        {
          apiVersion: "kmm.sigs.x-k8s.io/v1beta2",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:metadata": { "f:annotations": { ".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {} } }, "f:spec": { ".": {}, "f:pushBuiltImage": {}, "f:releaseImage": {} } },
          manager: "kubectl-client-side-apply",
          operation: "Update",
          time: "2026-11-25T03:00:00Z",
        },
      ],
      creationTimestamp: null,
    },
    spec: { releaseImage: "quay.io/openshift-release-dev/ocp-release@sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863", pushBuiltImage: false },
  };
  return JSON.stringify(
    preflightReview({
      name: "preflight-4-16-3",
      operation: "CREATE",
      object,
      oldObject: null,
      options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions", fieldManager: "kubectl-client-side-apply", fieldValidation: "Strict" },
    }),
  );
}

/** The AdmissionReview the API server sends for a PreflightValidationOCP request. */
export function preflightReview(r: { name: string; operation: "CREATE" | "UPDATE"; object: unknown; oldObject: unknown; options?: unknown }): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP" },
      resource: { group: "kmm.sigs.x-k8s.io", version: "v1beta2", resource: "preflightvalidationsocp" },
      requestKind: { group: "kmm.sigs.x-k8s.io", version: "v1beta2", kind: "PreflightValidationOCP" },
      requestResource: { group: "kmm.sigs.x-k8s.io", version: "v1beta2", resource: "preflightvalidationsocp" },
      name: r.name,
      operation: r.operation,
      userInfo: { username: "kube:admin", uid: "c2b2c1e4-0000-4000-8000-000000000000", groups: ["system:cluster-admins", "system:authenticated"], extra: { "scopes.authorization.openshift.io": ["user:full"] } },
      object: r.object,
      oldObject: r.oldObject,
      dryRun: false,
      ...(r.options !== undefined && { options: r.options }),
    },
  };
}
