/**
 * Every failure in hitl is a HitlError with a stable `code`. Codes are API: never rename one,
 * only add. Messages say what happened and what to do; only `code` and `message` ever cross a
 * process boundary (host <-> extension, host <-> CLI), never stacks or causes.
 */
export const ERROR_CODES = [
  // shape, size, encoding (protocol/validate)
  "ERR_MALFORMED",
  "ERR_TOO_LARGE",
  "ERR_UNSUPPORTED_VERSION",
  "ERR_INVALID_ENCODING",
  // keys and signatures (verifier)
  "ERR_UNKNOWN_APPROVER",
  "ERR_UNKNOWN_KEY",
  "ERR_KEY_ID_MISMATCH",
  "ERR_WEAK_PUBLIC_KEY",
  "ERR_NONCANONICAL_SIGNATURE",
  "ERR_BAD_SIGNATURE",
  "ERR_CHALLENGE_MISMATCH",
  "ERR_DENIED",
  "ERR_AUDIENCE_MISMATCH",
  "ERR_EXPIRED",
  "ERR_NOT_YET_VALID",
  "ERR_DECIDED_OUTSIDE_WINDOW",
  "ERR_INTENT_MISMATCH",
  "ERR_REPLAYED",
  "ERR_NONCE_STORE_UNAVAILABLE",
  "ERR_KEY_DIRECTORY_UNAVAILABLE",
  "ERR_APPROVERS_FILE_INVALID",
  "ERR_APPROVERS_FILE_INSECURE",
  "ERR_NONCE_STORE_RESET",
  "ERR_NONCE_MAYBE_CONSUMED",
  // transport: CLI <-> signing host <-> extension
  "ERR_HOST_UNREACHABLE",
  "ERR_EXTENSION_NOT_CONNECTED",
  "ERR_NO_KEY",
  "ERR_NOT_PAIRED",
  "ERR_TIMEOUT",
  "ERR_WITHDRAWN",
  "ERR_PAIRING_REJECTED",
  "ERR_PORT_IN_USE",
  "ERR_ORIGIN_FORBIDDEN",
  "ERR_HOST_HEADER_FORBIDDEN",
  "ERR_UNSUPPORTED_MEDIA_TYPE",
  "ERR_TOO_MANY_PENDING",
  "ERR_DUPLICATE_REQUEST",
  "ERR_NATIVE_MESSAGE_TOO_LARGE",
  "ERR_PROTOCOL",
  "ERR_SIGNING_FAILED",
  "ERR_REQUEST_TOO_SLOW",
  "ERR_TOO_MANY_CONNECTIONS",
  // the paired key was a session key (memory only) and ended with the browser: pair again
  "ERR_SESSION_KEY_ENDED",
  // transport authentication: the per-user host secret and the host's proof on every answer
  "ERR_HOST_UNAUTHENTICATED",
  "ERR_HOST_SECRET_MISSING",
  "ERR_HOST_SECRET_INSECURE",
  "ERR_HOST_SECRET_INVALID",
  // CLI
  "ERR_USAGE",
  "ERR_CONFIG",
  "ERR_INTERNAL",
  "ERR_EXTENSION_DISCONNECTED",
  // pairing confirmation: the code the pairing window shows, typed into the terminal
  "ERR_PAIRING_CODE_MISMATCH",
  "ERR_PAIRING_CODE_MISSING",
  // team mode: the Keycloak key directory (verifier/src/keys/keycloak-key-directory.ts)
  "ERR_APPROVER_DISABLED",
  "ERR_NOT_AN_APPROVER",
  "ERR_KEY_EXPIRED",
  "ERR_KEY_REVOKED",
  "ERR_KEY_ENTRY_INVALID",
  "ERR_KEYCLOAK_UNREACHABLE",
  "ERR_KEYCLOAK_TIMEOUT",
  "ERR_KEYCLOAK_UNAUTHORIZED",

  // coding-agent hooks: an agent's settings file hitl will not edit (malformed, odd shape)
  "ERR_AGENT_SETTINGS_INVALID",
  // the agent policy (cli/src/policy): a policy file that is malformed, or that cannot be read
  "ERR_POLICY_INVALID",
  "ERR_POLICY_UNREADABLE",
  // MCP gate: the upstream server could not start or exited; a call the policy forbids
  "ERR_MCP_UPSTREAM_FAILED",
  "ERR_POLICY_DENIED",
  // team mode: the hitl server (server/): tokens, key registration, /v1/verify, start-up
  "ERR_TOKEN_MISSING",
  "ERR_TOKEN_INVALID",
  "ERR_TOKEN_EXPIRED",
  "ERR_LOGIN_NOT_FRESH",
  "ERR_REGISTRATION_SUBJECT_MISMATCH",
  "ERR_REGISTRATION_ISSUER_MISMATCH",
  "ERR_REGISTRATION_AUDIENCE_MISMATCH",
  "ERR_TOO_MANY_KEYS",
  "ERR_KEY_WRITE_CONFLICT",
  "ERR_CALLER_NOT_ALLOWED",
  "ERR_RATE_LIMITED",
  "ERR_NOT_FOUND",
  "ERR_INSECURE_TRANSPORT",
  // team mode: this machine's team configuration and its link to the hitl server (cli)
  "ERR_TEAM_CONFIG_INVALID",
  "ERR_TEAM_SERVER_UNREACHABLE",
  "ERR_TEAM_SERVER_REFUSED",
  // team mode: `hitl keys list|revoke`, answered by the extension's team window (signing host, extension, cli)
  "ERR_TEAM_NOT_CONFIGURED",
  "ERR_TEAM_NOT_SIGNED_IN",
  "ERR_KEYS_REVOKE_CANCELLED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && KNOWN_CODES.has(value);
}

export class HitlError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "HitlError";
    this.code = code;
  }

  /** The only representation that may cross a process boundary. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Rebuild an error received from another process; unknown codes collapse to ERR_PROTOCOL. */
export function errorFromWire(value: unknown): HitlError {
  if (typeof value === "object" && value !== null) {
    const { code, message } = value as { code?: unknown; message?: unknown };
    if (isErrorCode(code) && typeof message === "string" && message.length <= 2048) {
      return new HitlError(code, message);
    }
  }
  return new HitlError("ERR_PROTOCOL", "The peer sent an error in an unknown format.");
}
