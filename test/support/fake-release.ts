import { file, layer } from "./layers.js";
import { pushImage, type PushTarget } from "./oci-image.js";

// A minimal OpenShift release image and its driver-toolkit image, laid out as the real ones are.

export interface FakeRelease {
  readonly releaseImage: string;
  readonly driverToolkitImage: string;
}

export async function pushFakeRelease(
  reg: PushTarget & { host: string },
  opts: { tag: string; kernel: string; rtKernel?: string; rhelVersion?: string; omitImageReferences?: boolean },
): Promise<FakeRelease> {
  const dtkInfo = { KERNEL_VERSION: opts.kernel, RT_KERNEL_VERSION: opts.rtKernel ?? "", RHEL_VERSION: opts.rhelVersion ?? "9.4" };
  const dtk = await pushImage(reg, "ocp/driver-toolkit", opts.tag, {
    layers: [
      await layer([file("etc/os-release", "ID=rhel\n")]),
      await layer([file("etc/driver-toolkit-release.json", JSON.stringify(dtkInfo))]),
    ],
  });
  const driverToolkitImage = `${reg.host}/ocp/driver-toolkit@${dtk.digest}`;
  const imageStream = {
    kind: "ImageStream",
    apiVersion: "image.openshift.io/v1",
    metadata: { name: opts.tag },
    spec: {
      tags: [
        { name: "cli", from: { kind: "DockerImage", name: `${reg.host}/ocp/cli@sha256:${"0".repeat(64)}` } },
        { name: "driver-toolkit", from: { kind: "DockerImage", name: driverToolkitImage } },
      ],
    },
  };
  const top = opts.omitImageReferences ? [file("release-manifests/release-metadata", "{}")] : [file("release-manifests/image-references", JSON.stringify(imageStream))];
  await pushImage(reg, "ocp/release", opts.tag, {
    layers: [await layer([file("usr/bin/cluster-version-operator", "#!/bin/true\n")]), await layer(top)],
  });
  return { releaseImage: `${reg.host}/ocp/release:${opts.tag}`, driverToolkitImage };
}
