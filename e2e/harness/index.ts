export { type BrowserSession, EXTENSION_ID, launchSession, type SessionOptions } from "./browser-session.js";
export { type CliResult, type CliRun, runHitl } from "./cli.js";
export { challengeDigest } from "./digest.js";
export {
  approveRequest,
  clickButton,
  confirmationCodeIn,
  expectFailedClosed,
  expectSignedDecision,
  type JsonOutcome,
  pairBrowser,
  parseJsonOutcome,
  readThrough,
} from "./flows.js";
export { freePort } from "./free-port.js";
export type { HostSession } from "./host-session.js";
export { httpJson } from "./http.js";
export { ARTIFACTS_DIR, REPO_ROOT } from "./paths.js";
export { type SharedSessionOptions, sharedFor, sharedSession } from "./shared-session.js";
