import { MODULE_API_VERSION, type Module } from "../api/index.js";

// A valid Module as people write them, for tests to break one field at a time.

export const DIGEST = "sha256:22e149142517dfccb47be828f012659b1ccf71d26620e6f62468c264a7ce7863";

export function validModule(): Module {
  return {
    apiVersion: MODULE_API_VERSION,
    kind: "Module",
    metadata: { name: "my-driver", namespace: "drivers" },
    spec: {
      selector: { "node-role.kubernetes.io/worker": "" },
      moduleLoader: {
        container: {
          modprobe: { moduleName: "my_driver" },
          kernelMappings: [
            { literal: "5.14.0-284.25.1.el9_2.x86_64", containerImage: "quay.io/org/my-driver:el9_2" },
            { regexp: "^5\\.14\\.0-\\d+\\.\\d+\\.\\d+\\.el9_\\d+\\.x86_64$", containerImage: "quay.io/org/${MOD_NAME}:${KERNEL_FULL_VERSION}" },
          ],
        },
      },
    },
  };
}

/** `validModule()` changed by `change`, which may break it as badly as it likes. */
export function moduleWith(change: (m: any) => void): Module {
  const m = validModule();
  change(m);
  return m;
}
