import { hostname } from "node:os";
import type { ApprovalOutcome } from "@hitl/sdk";
import { DEFAULT_AUDIENCE, HitlError, LIMITS } from "@hitl/verifier";
import type { PolicyVerdict } from "../../policy/index.js";
import type { RunHookOptions } from "../run-hook.js";
import type { AgentName } from "./agents.js";
import { approvalRequest } from "./approval-request.js";
import type { HookInput } from "./hook-input.js";
import { approvedOutput, denyOutput, type HookResult } from "./hook-output.js";
import { DEFAULT_HOOK_APPROVAL_SECONDS } from "./limits.js";
import type { MappedCall } from "./tool-call.js";

/** Ask the human in the browser about one gated call, and turn the outcome into the hook's answer. */
export async function askHuman(
  agent: AgentName,
  input: HookInput,
  mapped: MappedCall,
  verdict: PolicyVerdict,
  options: RunHookOptions,
  env: NodeJS.ProcessEnv,
): Promise<HookResult> {
  // The policy's reason, naming its rule once (built-in reasons name it already).
  const why = verdict.reason.includes(`(rule ${verdict.rule})`) ? verdict.reason : `${verdict.reason} (rule ${verdict.rule})`;
  let request: ReturnType<typeof approvalRequest>;
  try {
    request = approvalRequest(agent, input, mapped, why);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return denyOutput(agent, `hitl blocked this call without asking: ${error.code}: ${error.message}`);
  }
  const timeoutSeconds = Math.min(
    Math.max(1, Math.trunc(verdict.timeoutSeconds ?? DEFAULT_HOOK_APPROVAL_SECONDS)),
    LIMITS.maxLifetimeSeconds,
  );
  const requestApproval = options.requestApproval ?? (await import("@hitl/sdk")).requestApproval;
  const outcome = await requestApproval({
    action: request.action,
    intent: request.intent,
    aud: verdict.audience ?? DEFAULT_AUDIENCE,
    timeoutSeconds,
    requester: { tool: `hitl hook ${agent}`, host: hostname(), pid: process.pid, cwd: input.cwd },
    env,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  return answer(agent, outcome, timeoutSeconds, why);
}

/** The outcome as the model reads it: what happened, and what to do next. */
function answer(agent: AgentName, outcome: ApprovalOutcome, timeoutSeconds: number, why: string): HookResult {
  switch (outcome.decision) {
    case "approve":
      return approvedOutput(agent, `Approved in hitl by ${outcome.approver.sub} (signature verified).`);
    case "deny":
      if ("receipt" in outcome) {
        return denyOutput(
          agent,
          `hitl: the human denied this call in the approval window (ERR_DENIED, signed by ${outcome.approver.sub}). Do not retry it; ask the user how to proceed.`,
        );
      }
      return denyOutput(agent, `hitl: the approval request was withdrawn before anyone decided (${outcome.code}); the call is blocked.`);
    case "timeout":
      return denyOutput(
        agent,
        `hitl: nobody approved this call within ${timeoutSeconds} s (${outcome.code}), so it is blocked. It needs approval because: ${why}. Ask the user to watch for the approval window in their browser, then retry.`,
      );
    case "error":
      return denyOutput(
        agent,
        `hitl could not ask the human to approve this call, so it is blocked: ${outcome.code}: ${outcome.message} It needs approval because: ${why}. Tell the user; retry once it is fixed.`,
      );
  }
}
