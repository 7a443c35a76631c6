import type { ErrorCode } from "@hitl/verifier";
import {
  ApprovalDenied,
  type ApprovalError,
  type ApprovalErrorDetails,
  ApprovalTimeout,
  ApprovalUnavailable,
  ReceiptInvalid,
} from "../approval-errors.js";

type ApprovalErrorClass = new (code: ErrorCode, message: string, details?: ApprovalErrorDetails) => ApprovalError;

/*
 * Every ERR_ code, exactly one class. A code added later and not listed here is
 * ApprovalUnavailable (still fails closed); sdk/test/approval-errors.test.ts names any code
 * missing from this map, so a new code gets a deliberate row.
 */
export const ERROR_CLASS: { readonly [C in ErrorCode]?: ApprovalErrorClass } = {
  // the human said no, or the request was withdrawn
  ERR_DENIED: ApprovalDenied,
  ERR_WITHDRAWN: ApprovalDenied,
  ERR_PAIRING_REJECTED: ApprovalDenied,
  // the policy refuses the call without asking anyone (hitl mcp-gate, hooks)
  ERR_POLICY_DENIED: ApprovalDenied,
  // the human cancelled a `hitl keys revoke` in the team window
  ERR_KEYS_REVOKE_CANCELLED: ApprovalDenied,
  // nobody decided in time
  ERR_TIMEOUT: ApprovalTimeout,
  ERR_EXPIRED: ApprovalTimeout,
  // an answer that failed verification (or a document failing the strict shape checks)
  ERR_MALFORMED: ReceiptInvalid,
  ERR_TOO_LARGE: ReceiptInvalid,
  ERR_UNSUPPORTED_VERSION: ReceiptInvalid,
  ERR_INVALID_ENCODING: ReceiptInvalid,
  ERR_UNKNOWN_APPROVER: ReceiptInvalid,
  ERR_UNKNOWN_KEY: ReceiptInvalid,
  ERR_KEY_ID_MISMATCH: ReceiptInvalid,
  ERR_WEAK_PUBLIC_KEY: ReceiptInvalid,
  ERR_NONCANONICAL_SIGNATURE: ReceiptInvalid,
  ERR_BAD_SIGNATURE: ReceiptInvalid,
  ERR_CHALLENGE_MISMATCH: ReceiptInvalid,
  ERR_AUDIENCE_MISMATCH: ReceiptInvalid,
  ERR_NOT_YET_VALID: ReceiptInvalid,
  ERR_DECIDED_OUTSIDE_WINDOW: ReceiptInvalid,
  ERR_INTENT_MISMATCH: ReceiptInvalid,
  ERR_REPLAYED: ReceiptInvalid,
  ERR_HOST_UNAUTHENTICATED: ReceiptInvalid,
  ERR_PAIRING_CODE_MISMATCH: ReceiptInvalid,
  // team mode: the signing key is not (or no longer) a registered approver's key
  ERR_APPROVER_DISABLED: ReceiptInvalid,
  ERR_NOT_AN_APPROVER: ReceiptInvalid,
  ERR_KEY_EXPIRED: ReceiptInvalid,
  ERR_KEY_REVOKED: ReceiptInvalid,
  ERR_KEY_ENTRY_INVALID: ReceiptInvalid,
  // no human could be asked, or the answer could not be checked
  ERR_NONCE_STORE_UNAVAILABLE: ApprovalUnavailable,
  ERR_KEY_DIRECTORY_UNAVAILABLE: ApprovalUnavailable,
  ERR_APPROVERS_FILE_INVALID: ApprovalUnavailable,
  ERR_APPROVERS_FILE_INSECURE: ApprovalUnavailable,
  ERR_NONCE_STORE_RESET: ApprovalUnavailable,
  ERR_NONCE_MAYBE_CONSUMED: ApprovalUnavailable,
  ERR_HOST_UNREACHABLE: ApprovalUnavailable,
  ERR_EXTENSION_NOT_CONNECTED: ApprovalUnavailable,
  ERR_NO_KEY: ApprovalUnavailable,
  ERR_NOT_PAIRED: ApprovalUnavailable,
  ERR_PORT_IN_USE: ApprovalUnavailable,
  ERR_ORIGIN_FORBIDDEN: ApprovalUnavailable,
  ERR_HOST_HEADER_FORBIDDEN: ApprovalUnavailable,
  ERR_UNSUPPORTED_MEDIA_TYPE: ApprovalUnavailable,
  ERR_TOO_MANY_PENDING: ApprovalUnavailable,
  ERR_DUPLICATE_REQUEST: ApprovalUnavailable,
  ERR_NATIVE_MESSAGE_TOO_LARGE: ApprovalUnavailable,
  ERR_PROTOCOL: ApprovalUnavailable,
  ERR_SIGNING_FAILED: ApprovalUnavailable,
  ERR_REQUEST_TOO_SLOW: ApprovalUnavailable,
  ERR_TOO_MANY_CONNECTIONS: ApprovalUnavailable,
  ERR_SESSION_KEY_ENDED: ApprovalUnavailable,
  ERR_HOST_SECRET_MISSING: ApprovalUnavailable,
  ERR_HOST_SECRET_INSECURE: ApprovalUnavailable,
  ERR_HOST_SECRET_INVALID: ApprovalUnavailable,
  ERR_USAGE: ApprovalUnavailable,
  ERR_CONFIG: ApprovalUnavailable,
  ERR_INTERNAL: ApprovalUnavailable,
  ERR_EXTENSION_DISCONNECTED: ApprovalUnavailable,
  ERR_PAIRING_CODE_MISSING: ApprovalUnavailable,
  ERR_POLICY_INVALID: ApprovalUnavailable,
  ERR_POLICY_UNREADABLE: ApprovalUnavailable,
  ERR_MCP_UPSTREAM_FAILED: ApprovalUnavailable,
  ERR_AGENT_SETTINGS_INVALID: ApprovalUnavailable,
  ERR_KEYCLOAK_UNREACHABLE: ApprovalUnavailable,
  ERR_KEYCLOAK_TIMEOUT: ApprovalUnavailable,
  ERR_KEYCLOAK_UNAUTHORIZED: ApprovalUnavailable,
  // team mode: the hitl server refused the caller, its token or its registration, or is unsafe to use
  ERR_TOKEN_MISSING: ApprovalUnavailable,
  ERR_TOKEN_INVALID: ApprovalUnavailable,
  ERR_TOKEN_EXPIRED: ApprovalUnavailable,
  ERR_LOGIN_NOT_FRESH: ApprovalUnavailable,
  ERR_REGISTRATION_SUBJECT_MISMATCH: ApprovalUnavailable,
  ERR_REGISTRATION_ISSUER_MISMATCH: ApprovalUnavailable,
  ERR_REGISTRATION_AUDIENCE_MISMATCH: ApprovalUnavailable,
  ERR_TOO_MANY_KEYS: ApprovalUnavailable,
  ERR_KEY_WRITE_CONFLICT: ApprovalUnavailable,
  ERR_CALLER_NOT_ALLOWED: ApprovalUnavailable,
  ERR_RATE_LIMITED: ApprovalUnavailable,
  ERR_NOT_FOUND: ApprovalUnavailable,
  ERR_INSECURE_TRANSPORT: ApprovalUnavailable,
  ERR_TEAM_CONFIG_INVALID: ApprovalUnavailable,
  ERR_TEAM_SERVER_UNREACHABLE: ApprovalUnavailable,
  ERR_TEAM_SERVER_REFUSED: ApprovalUnavailable,
  // team mode: `hitl keys` found no team addresses or nobody signed in in the team window
  ERR_TEAM_NOT_CONFIGURED: ApprovalUnavailable,
  ERR_TEAM_NOT_SIGNED_IN: ApprovalUnavailable,
};

/** The class for a code: its row in ERROR_CLASS, ApprovalUnavailable for a code without one. */
export function errorClassOf(code: ErrorCode): ApprovalErrorClass {
  return ERROR_CLASS[code] ?? ApprovalUnavailable;
}
