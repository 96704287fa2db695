import { type CliJobParams, cliJob } from "./image-job.js";
import type { Job } from "./objects.js";

// The sign-stage Job (README "The sign stage", ADR 15): `kmm-preflight sign`, from this product's own
// image, signs the Module's filesToSign in the unsigned image with the key and certificate of its
// keySecret and certSecret (mounted in this Job only, never in an image), and with pushBuiltImage
// pushes the signed image to the Module's containerImage.

/** The Secret keys upstream KMM reads: `key` in keySecret, `cert` in certSecret. */
export const SIGN_KEY_KEY = "key";
export const SIGN_CERT_KEY = "cert";
/** The Job's volumes of the keySecret and certSecret. */
export const SIGN_KEY_VOLUME = "sign-key";
export const SIGN_CERT_VOLUME = "sign-cert";
const KEY_DIR = "/kmm/sign/key";
const CERT_DIR = "/kmm/sign/cert";

export interface SignJobParams extends CliJobParams {
  readonly keySecret: string;
  readonly certSecret: string;
  /** The input: the build's output, or the Module's sign.unsignedImage. */
  readonly unsignedImage: string;
  /** The Module's containerImage for the kernel. */
  readonly outputImage: string;
  readonly push: boolean;
}

export function buildSignJob(p: SignJobParams): Job {
  return cliJob(
    "sign",
    p,
    [
      `--key=${KEY_DIR}/${SIGN_KEY_KEY}`,
      `--cert=${CERT_DIR}/${SIGN_CERT_KEY}`,
      `--unsigned-image=${p.unsignedImage}`,
      `--output-image=${p.outputImage}`,
      ...(p.push ? ["--push"] : []),
    ],
    {
      volumes: [
        { name: SIGN_KEY_VOLUME, secret: { secretName: p.keySecret, items: [{ key: SIGN_KEY_KEY, path: SIGN_KEY_KEY }] } },
        { name: SIGN_CERT_VOLUME, secret: { secretName: p.certSecret, items: [{ key: SIGN_CERT_KEY, path: SIGN_CERT_KEY }] } },
      ],
      mounts: [
        { name: SIGN_KEY_VOLUME, mountPath: KEY_DIR, readOnly: true },
        { name: SIGN_CERT_VOLUME, mountPath: CERT_DIR, readOnly: true },
      ],
      push: p.push,
    },
  );
}
