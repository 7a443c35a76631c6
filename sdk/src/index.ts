/** The hitl client SDK: ask a human through the local signing host, get a verified answer. */
export {
  ApprovalDenied,
  ApprovalError,
  type ApprovalErrorDetails,
  ApprovalTimeout,
  ApprovalUnavailable,
  ReceiptInvalid,
} from "./approval-errors.js";
export { type CreateChallengeOptions, createChallenge, DEFAULT_TTL_SECONDS } from "./create-challenge.js";
export {
  type CreatePairingRequestOptions,
  createPairingRequest,
  DEFAULT_PAIRING_TTL_SECONDS,
  pairingCode,
} from "./create-pairing-request.js";
export { type CurrentApproval, currentApproval } from "./current-approval.js";
export { type ApprovedOutcome, expectApproval } from "./expect-approval.js";
export { type GetHostHealthOptions, getHostHealth } from "./get-host-health.js";
export { type ApprovalOutcome, type Approver, EXIT_CODES, type Failure, type PairingOutcome } from "./lib/outcome.js";
export { resolvePort } from "./lib/resolve-port.js";
export { MAX_PAIRING_CODE_ATTEMPTS, type PairApproverOptions, type PairingCodePrompt, pairApprover } from "./pair-approver.js";
export { type RequestApprovalOptions, requestApproval } from "./request-approval.js";
export { type RequireHumanApprovalOptions, requireHumanApproval } from "./require-human-approval.js";
export { type WithApprovalOptions, withApproval } from "./with-approval.js";
