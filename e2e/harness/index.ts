export { type BrowserSession, EXTENSION_ID, launchSession, type SessionOptions } from "./browser-session.js";
export { type CliResult, type CliRun, runHitl } from "./cli.js";
export { challengeDigest } from "./digest.js";
export { clickButton, confirmationCodeIn, type JsonOutcome, pairBrowser, parseJsonOutcome } from "./flows.js";
export { freePort } from "./free-port.js";
export { httpJson } from "./http.js";
export { ARTIFACTS_DIR, REPO_ROOT } from "./paths.js";
