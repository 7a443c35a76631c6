import { approvalStorage, type CurrentApproval } from "./lib/approval-context.js";

export type { CurrentApproval } from "./lib/approval-context.js";

/**
 * Inside a function guarded by withApproval or @requireHumanApproval: the approval it runs
 * under (receipt, approver, challenge, intent). Everywhere else: undefined.
 */
export function currentApproval(): CurrentApproval | undefined {
  return approvalStorage.getStore();
}
