export * from "./kernel-version.js";
export * from "./substitute.js";
export * from "./kernel-mapping.js";
export * from "./build-args.js";
export * from "./merge-build-sign.js";
export * from "./module-target.js";
export * from "./release-info.js";
