/** The hitl client SDK: ask a human through the local signing host, get a verified answer. */
export { type CreateChallengeOptions, createChallenge, DEFAULT_TTL_SECONDS } from "./create-challenge.js";
export {
  type CreatePairingRequestOptions,
  createPairingRequest,
  DEFAULT_PAIRING_TTL_SECONDS,
  pairingCode,
} from "./create-pairing-request.js";
export { type GetHostHealthOptions, getHostHealth } from "./get-host-health.js";
export { type ApprovalOutcome, EXIT_CODES, type Failure, type PairingOutcome } from "./lib/outcome.js";
export { resolvePort } from "./lib/resolve-port.js";
export { MAX_PAIRING_CODE_ATTEMPTS, type PairApproverOptions, type PairingCodePrompt, pairApprover } from "./pair-approver.js";
export { type RequestApprovalOptions, requestApproval } from "./request-approval.js";
