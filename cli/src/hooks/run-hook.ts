import type { ApprovalOutcome, RequestApprovalOptions } from "@hitl/sdk";
import { HitlError } from "@hitl/verifier/protocol";
import { decide, loadPolicy, type PolicyVerdict } from "../policy/index.js";
import { AGENT_CONTRACTS, type AgentName } from "./lib/agents.js";
import { type HookInput, parseHookInput } from "./lib/hook-input.js";
import { allowOutput, denyOutput, type HookResult } from "./lib/hook-output.js";
import { toToolCall } from "./lib/tool-call.js";

export interface RunHookOptions {
  env?: NodeJS.ProcessEnv;
  /** Aborting withdraws an open approval request (the agent stopped the hook). */
  signal?: AbortSignal;
  /** Stand-ins for tests; default the policy module and the SDK's requestApproval. */
  policy?: { loadPolicy: typeof loadPolicy; decide: typeof decide };
  requestApproval?: (options: RequestApprovalOptions) => Promise<ApprovalOutcome>;
}

/**
 * One tool call of a coding agent, from the bytes it sent on stdin to what the hook prints and
 * its exit code. Never throws: anything unexpected is a blocking deny saying what happened.
 */
export async function runHook(agent: AgentName, stdin: Uint8Array | Error, options: RunHookOptions = {}): Promise<HookResult> {
  try {
    return await judge(agent, stdin, options);
  } catch (error) {
    return denyOutput(agent, internalFailure(error));
  }
}

async function judge(agent: AgentName, stdin: Uint8Array | Error, options: RunHookOptions): Promise<HookResult> {
  const env = options.env ?? process.env;
  let input: HookInput;
  try {
    if (stdin instanceof Error) throw new HitlError("ERR_MALFORMED", `The hook could not read its input: ${stdin.message}`);
    input = parseHookInput(stdin, AGENT_CONTRACTS[agent].event);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return denyOutput(
      agent,
      `hitl blocked this call: ${error.code}: ${error.message} A call hitl cannot read is never let through; tell the user (run 'hitl hook install ${agent}' again if hitl was updated).`,
    );
  }

  const mapped = toToolCall(agent, input);
  const policy = options.policy ?? { loadPolicy, decide };
  const loaded = await policy.loadPolicy({ env });
  let verdict: PolicyVerdict = await policy.decide(loaded, mapped.call, { env });
  if (mapped.unexpected !== undefined && verdict.decision === "allow") {
    verdict = { ...verdict, decision: "ask", rule: "hook:unrecognised-input", reason: mapped.unexpected };
  }
  switch (verdict.decision) {
    case "allow":
      return allowOutput();
    case "deny":
      return denyOutput(
        agent,
        `hitl blocked this call by policy (rule ${verdict.rule}): ${verdict.reason} Do not retry it; if it is needed, tell the user, who can change the policy (${loaded.file}).`,
      );
    case "ask": {
      // Loaded only here, and kept out of the hook bundle (scripts/bundle.mjs): an allowed call
      // never loads the SDK, node:http or the verifier. Same relative path from dist/hooks/ and dist/bundle/.
      const { askHuman } = await import("../hooks/lib/ask-human.js");
      return askHuman(agent, input, mapped, verdict, options, env);
    }
  }
}

export function internalFailure(error: unknown): string {
  // By name, not instanceof: the asking path is loaded outside the hook bundle, with its own HitlError class.
  const coded = error instanceof Error && error.name === "HitlError" && typeof (error as HitlError).code === "string";
  const detail = coded
    ? `${(error as HitlError).code}: ${(error as Error).message}`
    : `ERR_INTERNAL: ${error instanceof Error ? error.message : String(error)}`;
  return `hitl blocked this call because the hook failed: ${detail} A failing hook never lets a call through; tell the user (this is a bug in hitl or its policy).`;
}
