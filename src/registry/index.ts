// The registry package's public API: reference parsing, credentials, the client and its errors.
export * from "../api/image-reference.js";
export * from "./registry-host.js";
export { credentialsFromDockerConfig, credentialsFromDockerConfigFile, DockerConfigError, type Credentials, type CredentialLookup } from "./docker-config.js";
export { MEDIA_TYPES, digestOf, formatPlatform, parsePlatform, type Descriptor, type ImageManifest, type Platform } from "./manifest.js";
export { RegistryError, redactUrl, redactSecrets, type RegistryErrorKind, type TlsFailure } from "./registry-error.js";
export {
  DEFAULT_PLATFORM,
  DEFAULT_RETRIES,
  DEFAULT_TIMEOUT_MS,
  MAX_MANIFEST_BYTES,
  RegistryClient,
  type GetImageOptions,
  type PushBlobOptions,
  type RegistryClientOptions,
  type RequestOptions,
  type ResolvedImage,
} from "./registry-client.js";
export { DEFAULT_BACKOFF } from "./retry-policy.js";
export { DEFAULT_CHUNK_BYTES, type BlobContent, type PushedBlob } from "./registry-push.js";
