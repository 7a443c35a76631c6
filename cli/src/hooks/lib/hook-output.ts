import type { AgentName } from "./agents.js";

/** What the hook process writes and how it exits. */
export interface HookResult {
  exitCode: 0 | 2;
  stdout: string;
  stderr: string;
}

/*
 * Each agent's documented contract (cli/README.md has the links):
 * - exit 0 with no output: no decision; the agent goes on with its own permission rules.
 * - exit 2: blocks the call in all three, with stderr as the reason given to the model. Any other
 *   exit code is a NON-blocking error (the call runs), so hitl never exits 1, and a crash is
 *   turned into exit 2 (commands/hook.ts, and the installed command line itself).
 * - Claude Code reads a JSON decision on stdout only after exit 0; Gemini CLI likewise. hitl's
 *   deny is exit 2 AND the documented deny JSON on stdout, so a version that reads either one
 *   blocks. Codex CLI counts unknown output as a failed hook (the call runs): nothing on stdout.
 */

/** The policy allows the call: hitl stays out of the way (the agent's own prompts still apply). */
export function allowOutput(): HookResult {
  return { exitCode: 0, stdout: "", stderr: "" };
}

/** The human approved in hitl: Claude Code and Gemini CLI are told so; Codex CLI proceeds on exit 0. */
export function approvedOutput(agent: AgentName, reason: string): HookResult {
  switch (agent) {
    case "claude-code":
      return {
        exitCode: 0,
        stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "allow", permissionDecisionReason: reason } })}\n`,
        stderr: "",
      };
    case "gemini":
      return { exitCode: 0, stdout: `${JSON.stringify({ decision: "allow" })}\n`, stderr: "" };
    case "codex":
      return { exitCode: 0, stdout: "", stderr: "" };
  }
}

/** Blocked: exit 2 with the reason on stderr, plus the JSON deny where the agent documents one. */
export function denyOutput(agent: AgentName, reason: string): HookResult {
  const stderr = `${reason}\n`;
  switch (agent) {
    case "claude-code":
      return {
        exitCode: 2,
        stdout: `${JSON.stringify({ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: "deny", permissionDecisionReason: reason } })}\n`,
        stderr,
      };
    case "gemini":
      return { exitCode: 2, stdout: `${JSON.stringify({ decision: "deny", reason })}\n`, stderr };
    case "codex":
      return { exitCode: 2, stdout: "", stderr };
  }
}
