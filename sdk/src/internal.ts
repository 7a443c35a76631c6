/*
 * For @hitl/cli only: the pieces of the SDK that `hitl` commands and their tests reach into.
 * No stability promise; applications use the package root.
 */
export { precheckApprovers } from "./lib/approvers-precheck.js";
export { type EarlySign, takeEarlySign } from "./lib/early-sign.js";
export { encodeJsonBody, exchangeWithHost } from "./lib/host-http.js";
export { type HostKeysOptions, listKeysThroughHost, revokeKeyThroughHost } from "./lib/host-keys.js";
export { openDefaultNonceStore } from "./lib/open-stores.js";
export { defaultRequester } from "./lib/requester.js";
export {
  parseServiceUrl,
  readTeamClientSecret,
  readTeamConfig,
  TEAM_CONFIG_FILE,
  TEAM_SECRET_FILE,
  type TeamConfig,
  writeTeamConfig,
} from "./lib/team/team-config.js";
export { serviceToken } from "./lib/team/verify-remote.js";
