import { fileURLToPath } from "node:url";

/** Built artifacts the end-to-end tests drive; `pnpm build` makes all of them. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const EXTENSION_DIR = `${REPO_ROOT}extension/dist/chromium`;
export const CLI_BIN = `${REPO_ROOT}cli/dist/bin.cjs`;
export const CHROMIUM = process.env.HITL_E2E_CHROMIUM ?? "/usr/bin/chromium";
/** Screenshots of failing or documented states land here (git-ignored). */
export const ARTIFACTS_DIR = `${REPO_ROOT}e2e/.artifacts`;
