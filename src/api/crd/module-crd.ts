// An OPTIONAL stand-in for KMM's Module CRD (kmm.sigs.x-k8s.io/v1beta1), for trying kmm-preflight on
// a cluster without KMM. Rendered to manifests/optional/module-crd/ and never part of the default
// install: on a cluster with KMM it would replace KMM's own, much larger, CRD.
//
// It models the fields of ../module.ts (what preflight and Module policy read) with the same required
// fields and defaults as upstream, and preserves unknown fields on every object KMM extends further
// (the device plugin's and DRA driver's containers and volumes, ...), so a real KMM Module manifest
// applies unchanged and keeps all of its fields. The rules upstream's webhook enforces are Module
// policy's job (src/admission/module-validation.ts), not this schema's.

import {
  DEFAULT_MODULE_DIR,
  MODULE_KIND,
  MODULE_PLURAL,
  MODULE_VERSION,
  type Build,
  type BuildArg,
  type CommonContainerSpec,
  type DRASpec,
  type DevicePluginSpec,
  type KernelMapping,
  type ModprobeSpec,
  type ModuleLoaderContainerSpec,
  type ModuleSpec,
  type Sign,
  type TLSOptions,
  type Toleration,
} from "../module.js";
import type { LocalObjectReference } from "../meta.js";
import { OBJECT_ROOT_PROPERTIES, customResourceDefinition, type CustomResourceDefinition, type JSONSchemaProps, type RequiredKeys } from "./types.js";

const PRESERVE = { "x-kubernetes-preserve-unknown-fields": true } as const;

const localObjectReference = (description: string): JSONSchemaProps => ({
  type: "object",
  description,
  "x-kubernetes-map-type": "atomic",
  properties: {
    name: { type: "string", default: "", description: "Name of the referent." },
  } satisfies Record<keyof LocalObjectReference, JSONSchemaProps>,
});

const tlsOptions = (description: string): JSONSchemaProps => ({
  type: "object",
  description,
  properties: {
    insecure: { type: "boolean", description: "Use plain HTTP to reach the registry." },
    insecureSkipTLSVerify: {
      type: "boolean",
      description: "Use HTTPS without verifying the registry's certificate.",
    },
  } satisfies Record<keyof TLSOptions, JSONSchemaProps>,
});

const strings = (description: string, minItems?: number): JSONSchemaProps => ({
  type: "array",
  description,
  items: { type: "string" },
  ...(minItems === undefined ? {} : { minItems }),
});

const build = (where: string): JSONSchemaProps => ({
  type: "object",
  description: `Builds the module image in the cluster ${where}.`,
  ...PRESERVE,
  required: ["dockerfileConfigMap"] satisfies (keyof Build)[],
  properties: {
    dockerfileConfigMap: localObjectReference("ConfigMap holding the Dockerfile under the key `dockerfile`."),
    buildArgs: {
      type: "array",
      description: "Build arguments passed to the Dockerfile.",
      items: {
        type: "object",
        required: ["name", "value"] satisfies RequiredKeys<BuildArg>[],
        properties: {
          name: { type: "string", description: "Name of the build argument." },
          value: { type: "string", description: "Value of the build argument." },
        } satisfies Record<keyof BuildArg, JSONSchemaProps>,
      },
    },
    secrets: {
      type: "array",
      description: "Secrets made available to the build.",
      items: localObjectReference("A Secret in the Module's namespace."),
    },
    baseImageRegistryTLS: tlsOptions("How to reach the registry of the Dockerfile's base images."),
    kanikoParams: {
      type: "object",
      description: "Settings of the Kaniko build pod.",
      properties: { tag: { type: "string", description: "Kaniko image tag of the build pod." } },
    },
    selector: {
      type: "object",
      description: "Labels of the nodes the build pod runs on.",
      additionalProperties: { type: "string" },
    },
  } satisfies Record<keyof Build, JSONSchemaProps>,
});

const sign = (where: string): JSONSchemaProps => ({
  type: "object",
  description: `Signs the kernel modules of the image ${where}.`,
  ...PRESERVE,
  required: ["keySecret", "certSecret"] satisfies (keyof Sign)[],
  properties: {
    unsignedImage: { type: "string", description: "Image holding the unsigned modules, when there is no build." },
    unsignedImageRegistryTLS: tlsOptions("How to reach the registry of unsignedImage."),
    keySecret: localObjectReference("Secret holding the private signing key."),
    certSecret: localObjectReference("Secret holding the public certificate."),
    filesToSign: strings("Paths of the modules to sign, each under the modprobe dirName."),
  } satisfies Record<keyof Sign, JSONSchemaProps>,
});

const modprobeArgs = (description: string): JSONSchemaProps => ({
  type: "object",
  description,
  properties: {
    load: strings("Arguments when loading.", 1),
    unload: strings("Arguments when unloading.", 1),
  } satisfies Record<keyof NonNullable<ModprobeSpec["args"]>, JSONSchemaProps>,
});

const modprobe: JSONSchemaProps = {
  type: "object",
  description: "How the kernel module is loaded with modprobe.",
  ...PRESERVE,
  properties: {
    moduleName: { type: "string", description: "Name of the kernel module to load; unset only when rawArgs gives load and unload." },
    dirName: {
      type: "string",
      default: DEFAULT_MODULE_DIR,
      description: `Directory of the image holding lib/modules/<kernel>/. Defaults to ${DEFAULT_MODULE_DIR}.`,
    },
    parameters: strings("Parameters passed to the kernel module."),
    firmwarePath: { type: "string", description: "Directory of the image holding firmware files." },
    modulesLoadingOrder: strings("Modules to load in this order, the first being moduleName."),
    args: modprobeArgs("Replaces the default modprobe arguments."),
    rawArgs: modprobeArgs("Replaces the whole modprobe command line."),
  } satisfies Record<keyof ModprobeSpec, JSONSchemaProps>,
};

const inTreeModuleToRemove: JSONSchemaProps = {
  type: "string",
  description: "Deprecated: use inTreeModulesToRemove. One in-tree kernel module to unload before loading this one.",
};

const kernelMapping: JSONSchemaProps = {
  type: "object",
  description: "Image to use for the kernels this entry matches. Set literal or regexp.",
  ...PRESERVE,
  required: ["containerImage"] satisfies (keyof KernelMapping)[],
  properties: {
    literal: { type: "string", description: "Exact kernel version this entry matches." },
    regexp: { type: "string", description: "Go RE2 regular expression, unanchored, the kernel version must match." },
    containerImage: {
      type: "string",
      description: "Module image for the matching kernels; may use ${KERNEL_FULL_VERSION} and friends.",
    },
    build: build("for the matching kernels"),
    sign: sign("for the matching kernels"),
    registryTLS: tlsOptions("How to reach the registry of containerImage."),
    inTreeModuleToRemove,
    inTreeModulesToRemove: strings("In-tree kernel modules to unload before loading this one, for the matching kernels."),
  } satisfies Record<keyof KernelMapping, JSONSchemaProps>,
};

const container: JSONSchemaProps = {
  type: "object",
  description: "The module loader container.",
  ...PRESERVE,
  required: ["modprobe", "kernelMappings"] satisfies RequiredKeys<ModuleLoaderContainerSpec>[],
  properties: {
    modprobe,
    kernelMappings: {
      type: "array",
      minItems: 1,
      description: "Kernel versions mapped to images, tried in order; the first match wins.",
      items: kernelMapping,
    },
    containerImage: { type: "string", description: "Default module image for kernelMappings without one." },
    imagePullPolicy: { type: "string", description: "Pull policy of the module loader image." },
    build: build("by default"),
    sign: sign("by default"),
    registryTLS: tlsOptions("How to reach the registry of containerImage."),
    version: { type: "string", description: "Version of the kernel module, for ordered upgrades." },
    inTreeModuleToRemove,
    inTreeModulesToRemove: strings("In-tree kernel modules to unload before loading this one."),
  } satisfies Record<keyof ModuleLoaderContainerSpec, JSONSchemaProps>,
};

const toleration: JSONSchemaProps = {
  type: "object",
  description: "A core/v1 Toleration of the Module's pods.",
  properties: {
    key: { type: "string", description: "Taint key; empty (with operator Exists) matches every taint." },
    operator: { type: "string", description: "Equal (the default) or Exists." },
    value: { type: "string", description: "Taint value, for operator Equal." },
    effect: { type: "string", description: "NoSchedule, PreferNoSchedule or NoExecute; empty matches all." },
    tolerationSeconds: { type: "integer", format: "int64", description: "How long a NoExecute taint is tolerated." },
  } satisfies Record<keyof Toleration, JSONSchemaProps>,
};

const commonContainer = (description: string): JSONSchemaProps => ({
  type: "object",
  description,
  ...PRESERVE,
  required: ["image"] satisfies RequiredKeys<CommonContainerSpec>[],
  properties: {
    image: { type: "string", description: "Image of the container." },
    imagePullPolicy: { type: "string", description: "Always, Never or IfNotPresent." },
  },
});

const podVolumes: JSONSchemaProps = {
  type: "array",
  description: "core/v1 Volumes of the pods; a hostPath only under /dev, /sys, /var, /opt or /run.",
  items: { type: "object", required: ["name"], ...PRESERVE },
};

/** What the device plugin and the DRA driver have in common: a DaemonSet's containers, account and volumes. */
const daemonProperties = {
  container: commonContainer("The main container."),
  initContainer: commonContainer("An init container."),
  serviceAccountName: { type: "string", description: "ServiceAccount of the pods." },
  volumes: podVolumes,
  automountServiceAccountToken: { type: "boolean", description: "Mount the ServiceAccount token into the pods." },
} satisfies Record<keyof DevicePluginSpec, JSONSchemaProps>;

const specProperties = {
  selector: {
    type: "object",
    description: "Labels of the nodes the module is loaded on.",
    additionalProperties: { type: "string" },
  },
  imageRepoSecret: localObjectReference("dockerconfigjson Secret in the Module's namespace for pulling and pushing images."),
  moduleLoader: {
    type: "object",
    description: "Loads the kernel module on the selected nodes. Without it, preflight has nothing to validate.",
    ...PRESERVE,
    required: ["container"],
    properties: {
      container,
      serviceAccountName: { type: "string", description: "ServiceAccount of the module loader pods." },
    },
  },
  devicePlugin: {
    type: "object",
    description: "Runs a device plugin on the selected nodes.",
    ...PRESERVE,
    required: ["container"] satisfies RequiredKeys<DevicePluginSpec>[],
    properties: daemonProperties,
  },
  dra: {
    type: "object",
    description: "Runs a DRA driver on the selected nodes. Mutually exclusive with devicePlugin.",
    ...PRESERVE,
    required: ["container", "driverName"] satisfies RequiredKeys<DRASpec>[],
    properties: {
      ...daemonProperties,
      driverName: { type: "string", description: "Name the DRA driver registers with the kubelet." },
      deviceClasses: {
        type: "array",
        description: "DeviceClasses KMM manages for the driver.",
        items: { type: "object", required: ["name"], ...PRESERVE, properties: { name: { type: "string", description: "Name of the DeviceClass." } } },
      },
    } satisfies Record<keyof DRASpec, JSONSchemaProps>,
  },
  tolerations: { type: "array", description: "Tolerations of the Module's pods.", items: toleration },
  imageRebuildTriggerGeneration: { type: "integer", description: "Incremented to have KMM rebuild the Module's images." },
} satisfies Record<keyof ModuleSpec, JSONSchemaProps>;

export const moduleCrd: CustomResourceDefinition = customResourceDefinition(
  { kind: MODULE_KIND, plural: MODULE_PLURAL, singular: MODULE_KIND.toLowerCase() },
  "Namespaced",
  [
    {
      name: MODULE_VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
      schema: {
        openAPIV3Schema: {
          type: "object",
          description:
            "Module describes how KMM loads a kernel module on different kernel versions. This is kmm-preflight's " +
            "optional stand-in for KMM's own CRD; fields kmm-preflight does not read are kept but not validated.",
          properties: {
            ...OBJECT_ROOT_PROPERTIES,
            spec: {
              type: "object",
              description: "Which nodes get the kernel module, and how.",
              ...PRESERVE,
              required: ["selector"] satisfies RequiredKeys<ModuleSpec>[],
              properties: specProperties,
              "x-kubernetes-validations": [{ rule: "!(has(self.dra) && has(self.devicePlugin))", message: "spec.dra and spec.devicePlugin are mutually exclusive" }],
            },
            status: {
              type: "object",
              description: "Written by KMM; kept as is.",
              ...PRESERVE,
            },
          },
        },
      },
    },
  ],
);
