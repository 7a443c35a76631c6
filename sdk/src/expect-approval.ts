import { ApprovalDenied } from "./approval-errors.js";
import { errorClassOf } from "./lib/error-classes.js";
import type { ApprovalOutcome } from "./lib/outcome.js";

export type ApprovedOutcome = Extract<ApprovalOutcome, { decision: "approve" }>;

/**
 * The outcome of requestApproval when it is a verified approval; otherwise throws the typed
 * error for its code (ApprovalDenied, ApprovalTimeout, ApprovalUnavailable, ReceiptInvalid).
 */
export function expectApproval(outcome: ApprovalOutcome): ApprovedOutcome {
  if (outcome.decision === "approve") return outcome;
  if (outcome.decision === "deny" && "receipt" in outcome) {
    const { code, message, challenge, receipt, approver } = outcome;
    throw new ApprovalDenied(code, message, { challenge, receipt, approver });
  }
  const ErrorClass = errorClassOf(outcome.code);
  throw new ErrorClass(outcome.code, outcome.message, { challenge: outcome.challenge });
}
