import { type Action, HitlError, type JsonValue, LIMITS } from "@hitl/verifier";
import { canonicalBytes, utf8Length } from "@hitl/verifier/protocol";
import { AGENT_CONTRACTS, type AgentName } from "./agents.js";
import type { HookInput } from "./hook-input.js";
import type { MappedCall } from "./tool-call.js";

/** What the approval window shows and what the approval is bound to. */
export interface ApprovalRequest {
  action: Action;
  /** {agent, tool, cwd, input}: the receipt proves exactly this call was approved. */
  intent: JsonValue;
}

/**
 * The summary says what will happen in one line where it fits (the whole command, the paths);
 * the details carry the tool's whole input, exactly as the agent will run it, and why hitl asks.
 * Nothing is shortened: a call whose input does not fit in the window is refused (ERR_TOO_LARGE),
 * never shown in part, because the human must see all of what they approve.
 */
export function approvalRequest(agent: AgentName, input: HookInput, mapped: MappedCall, why: string): ApprovalRequest {
  const who = AGENT_CONTRACTS[agent].displayName;
  const details = { agent: who, tool: input.toolName, cwd: input.cwd, input: input.toolInput, why } as JsonValue;
  const detailsBytes = canonicalBytes(details).length;
  if (detailsBytes > LIMITS.detailsBytes) {
    throw new HitlError(
      "ERR_TOO_LARGE",
      `This ${input.toolName} call is ${detailsBytes} bytes, more than the approval window shows (${LIMITS.detailsBytes}); hitl never asks a human to approve what they cannot see whole. Split it into smaller steps.`,
    );
  }
  let summary = summaryOf(who, mapped);
  if (utf8Length(summary) > LIMITS.summaryBytes)
    summary = `${who} wants to use ${input.toolName} in ${input.cwd} (too long for one line: see "input" below)`;
  if (utf8Length(summary) > LIMITS.summaryBytes) summary = `${who} wants to use ${input.toolName} (see "input" below)`;
  return {
    action: { summary, details },
    intent: { agent, tool: input.toolName, cwd: input.cwd, input: input.toolInput } as JsonValue,
  };
}

function summaryOf(who: string, { call }: MappedCall): string {
  switch (call.kind) {
    case "shell":
      return `${who} wants to run, in ${call.cwd}:\n${call.command}`;
    case "file-write":
      return `${who} wants to change (${call.agentTool}): ${call.paths.join(", ")}`;
    case "file-read":
      return `${who} wants to read (${call.agentTool}): ${call.paths.join(", ")}`;
    case "fetch":
      return `${who} wants to fetch (${call.agentTool}): ${call.url}`;
    case "mcp":
      return `${who} wants to call the MCP tool "${call.tool}" of server "${call.server}"`;
    case "other":
      return `${who} wants to use the tool ${call.agentTool}`;
  }
}
