export * from "./errors.js";
export { detectCompression, openLayerTar, type LayerCompression, type OpenLayerOptions } from "./layer-stream.js";
export { normalizeLayerPath } from "./layer-path.js";
export * from "./layered-fs.js";
export * from "./module-search.js";
