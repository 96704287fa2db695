export * from "./meta.js";
export * from "./preflight-validation-ocp.js";
export * from "./module.js";
export * from "./webhook-paths.js";
export * from "./image-reference.js";
