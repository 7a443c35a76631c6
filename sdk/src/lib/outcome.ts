import {
  type ApproverKey,
  type ApproverRecord,
  type Challenge,
  type ErrorCode,
  encodeBase64url,
  type HitlError,
  type PairingRequest,
  type Receipt,
} from "@hitl/verifier";

/**
 * Who signed a verified decision, in the form of the approvers file and `hitl request --json`:
 * the raw Ed25519 public key as base64url text, not bytes, so it can be logged or sent as is.
 */
export interface Approver {
  sub: string;
  kid: string;
  /** Absent in team mode: the hitl server verifies with the registered key and does not return it. */
  publicKey?: string;
  /** Team mode: the Keycloak username. */
  label?: string;
}

/** The verifier's key (bytes) as the SDK reports it. */
export function toApprover(key: ApproverKey): Approver {
  return {
    sub: key.sub,
    kid: key.kid,
    ...(key.publicKey.length > 0 && { publicKey: encodeBase64url(key.publicKey) }),
    ...(key.label !== undefined && { label: key.label }),
  };
}

/** An ending without a signed decision. */
export type Failure =
  | { decision: "deny"; code: "ERR_WITHDRAWN" | "ERR_PAIRING_REJECTED"; message: string }
  | { decision: "timeout"; code: "ERR_TIMEOUT" | "ERR_EXPIRED"; message: string }
  | { decision: "error"; code: ErrorCode; message: string };

/**
 * How an approval request ended. `deny` with a receipt is a denial signed by the approver's key
 * and verified; `deny` without one was withdrawn by the caller (Ctrl-C) and nothing was signed.
 * A host can never produce a `deny` by saying so: only a verified signature or our own
 * withdrawal can.
 */
export type ApprovalOutcome =
  | { decision: "approve"; challenge: Challenge; approver: Approver; receipt: Receipt; verifiedBy?: TeamVerification }
  | {
      decision: "deny";
      code: "ERR_DENIED";
      message: string;
      challenge: Challenge;
      approver: Approver;
      receipt: Receipt;
      verifiedBy?: TeamVerification;
    }
  | (Failure & { challenge?: Challenge });

/** Team mode: the hitl server that verified the receipt, and the approver's Keycloak username. */
export interface TeamVerification {
  server: string;
  username: string;
}

/** How a pairing ended: `paired` only after proof of possession was checked and the file written. */
export type PairingOutcome =
  | { decision: "paired"; request: PairingRequest; approver: ApproverRecord; approversFile: string }
  | (Failure & { request?: PairingRequest });

/** Exit codes shared by `hitl request` and `hitl pair`. */
export const EXIT_CODES = { approve: 0, paired: 0, deny: 1, timeout: 2, error: 3 } as const;

/**
 * Classify a failure that carries no signed decision. `origin` says whether we raised it
 * ourselves (Ctrl-C, our own deadline, our verifier) or the host told us: the host's word can
 * make a request time out or fail, never turn it into a signed denial.
 */
export function failureOf(error: HitlError, origin: "local" | "peer"): Failure {
  const { code, message } = error;
  switch (code) {
    case "ERR_TIMEOUT":
    case "ERR_EXPIRED":
      return { decision: "timeout", code, message };
    case "ERR_WITHDRAWN":
      return origin === "local" ? { decision: "deny", code, message } : { decision: "error", code, message };
    case "ERR_PAIRING_REJECTED":
      // Pairing has no signed refusal: the human's "no" arrives from the browser as this code.
      // Raised by our own checks (a renamed subject) it is a failed pairing, not a refusal.
      return origin === "peer" ? { decision: "deny", code, message } : { decision: "error", code, message };
    case "ERR_DENIED":
      if (origin === "local") break;
      // A denial is a signed receipt, never an error body; a host that says otherwise is broken.
      return {
        decision: "error",
        code: "ERR_PROTOCOL",
        message:
          "The signing host reported a denial without a signed receipt; treating it as an error. Update the hitl extension and host.",
      };
  }
  return { decision: "error", code, message };
}
