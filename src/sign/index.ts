// Kernel module signing (pure: no I/O): what scripts/sign-file does, in-process.
export { DEFAULT_MODULE_HASH, MODULE_HASHES, detachedSignedData, type ModuleHash } from "./cms.js";
export { MODULE_SIGNATURE_MAGIC, PKEY_ID_PKCS7, appendModuleSignature, moduleSignatureInfo, parseModuleSignature, type ModuleSignatureParse } from "./module-signature.js";
export { notAKernelModule, signKernelModule, stripModuleSignatures, type SignModuleResult } from "./sign-module.js";
export { loadSigningKey, type SigningKey, type SigningKeyProblem, type SigningKeyResult, type SigningKeyType } from "./signing-key.js";
