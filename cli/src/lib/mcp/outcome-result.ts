import type { ApprovalOutcome } from "@hitl/sdk";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { approverJson, describeApprover } from "../output.js";

/** What `request_approval` returns in structuredContent (its outputSchema in approval-server.ts). */
export interface ApprovalContent {
  [key: string]: unknown;
  decision: "approved" | "denied" | "timeout";
  message: string;
  code?: string;
  challengeId?: string;
  approver?: Record<string, string>;
  receipt?: unknown;
}

/**
 * One approval outcome as an MCP tool result. Approved, denied and timed out are normal results
 * (the model must read the decision, not treat it as a failure to retry); anything else is
 * `isError: true` with the ERR_ code and what to do, and no structured content.
 */
export function outcomeResult(outcome: ApprovalOutcome, summary: string): CallToolResult {
  const challengeId = outcome.challenge?.id;
  let content: ApprovalContent;
  switch (outcome.decision) {
    case "approve":
      content = {
        decision: "approved",
        message: `APPROVED by ${describeApprover(outcome.approver)}, signature verified. Proceed with exactly this action: ${summary}`,
        approver: approverJson(outcome.approver),
        receipt: outcome.receipt,
      };
      break;
    case "deny":
      content =
        "receipt" in outcome
          ? {
              decision: "denied",
              code: outcome.code,
              message: `DENIED by ${describeApprover(outcome.approver)} (signature verified). Do not proceed with: ${summary}`,
              approver: approverJson(outcome.approver),
              receipt: outcome.receipt,
            }
          : { decision: "denied", code: outcome.code, message: `${outcome.message} Do not proceed.` };
      break;
    case "timeout":
      content = {
        decision: "timeout",
        code: outcome.code,
        message: `TIMED OUT: nobody decided in time (${outcome.message}). Do not proceed; ask again only if the human still wants it.`,
      };
      break;
    default:
      return errorResult(outcome.code, outcome.message);
  }
  if (challengeId !== undefined) content.challengeId = challengeId;
  return { content: [{ type: "text", text: content.message }], structuredContent: content };
}

/** A tool error the model can act on: the stable code first, then what happened and what to do. */
export function errorResult(code: string, message: string): CallToolResult {
  return { content: [{ type: "text", text: `${code}: ${message}` }], isError: true };
}
