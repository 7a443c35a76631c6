import { fileURLToPath } from "node:url";

/**
 * Absolute path of the built host binary (signing-host/dist/main.js). Resolved from the package
 * root, so it is right whether this module runs from dist/ or, in tests, from src/.
 */
export const HOST_MAIN_PATH = fileURLToPath(new URL("../dist/main.js", import.meta.url));
