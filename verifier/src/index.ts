export * from "./protocol/index.js";
export * from "./digests.js";
export * from "./paths.js";
