/*
 * The coding agents whose hook contract is documented, and what hitl relies on from each.
 * Sources (checked 2026-12, recorded in cli/README.md):
 *   Claude Code  https://code.claude.com/docs/en/hooks  (PreToolUse)
 *   Codex CLI    https://developers.openai.com/codex/hooks and codex-rs/hooks/src/events/pre_tool_use.rs
 *   Gemini CLI   https://geminicli.com/docs/hooks/reference  (BeforeTool)
 */

export const AGENTS = ["claude-code", "codex", "gemini"] as const;
export type AgentName = (typeof AGENTS)[number];

export interface AgentContract {
  /** How the approval window and the messages name the agent. */
  displayName: string;
  /** The hook event hitl installs itself on. */
  event: "PreToolUse" | "BeforeTool";
  /** Matcher that selects every tool: Claude Code and Codex treat "*" as match-all; Gemini CLI compiles a regex. */
  matchAll: string;
  /** Unit of the `timeout` field of a hook in the settings file. */
  timeoutUnit: "seconds" | "milliseconds";
  /** Settings file relative to the project root (--project) and to the home directory (--user). */
  projectSettings: string;
  userSettings: string;
}

export const AGENT_CONTRACTS: Record<AgentName, AgentContract> = {
  "claude-code": {
    displayName: "Claude Code",
    event: "PreToolUse",
    matchAll: "*",
    timeoutUnit: "seconds",
    projectSettings: ".claude/settings.json",
    userSettings: ".claude/settings.json",
  },
  codex: {
    displayName: "Codex CLI",
    event: "PreToolUse",
    matchAll: "*",
    timeoutUnit: "seconds",
    projectSettings: ".codex/hooks.json",
    userSettings: ".codex/hooks.json",
  },
  gemini: {
    displayName: "Gemini CLI",
    event: "BeforeTool",
    matchAll: ".*",
    timeoutUnit: "milliseconds",
    projectSettings: ".gemini/settings.json",
    userSettings: ".gemini/settings.json",
  },
};

export function isAgentName(value: string): value is AgentName {
  return (AGENTS as readonly string[]).includes(value);
}
