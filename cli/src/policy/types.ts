/** One call an agent is about to make, as the hooks and the MCP gate describe it to the policy. */
export type ToolCall =
  | { kind: "shell"; agentTool: string; command: string; cwd: string }
  | { kind: "file-write"; agentTool: string; paths: readonly string[]; cwd: string }
  | { kind: "file-read"; agentTool: string; paths: readonly string[]; cwd: string }
  | { kind: "fetch"; agentTool: string; url: string; cwd: string }
  | {
      kind: "mcp";
      server: string;
      tool: string;
      arguments: Readonly<Record<string, unknown>>;
      readOnlyHint: boolean | undefined;
      cwd?: string;
    }
  | { kind: "other"; agentTool: string; input: unknown; cwd: string };

export type Decision = "allow" | "ask" | "deny";

export interface PolicyVerdict {
  decision: Decision;
  /** Id of the deciding rule; built-ins are "builtin:<name>", "secure" (HITL_SECURE=1), "policy-error". */
  rule: string;
  /** One sentence a human and a model can read. */
  reason: string;
  /** Per-rule approval timeout in seconds; undefined = the caller's default. */
  timeoutSeconds: number | undefined;
  /** Per-rule challenge audience; undefined = the caller's default. */
  audience: string | undefined;
}

export interface PolicyProblem {
  /** ERR_POLICY_INVALID | ERR_POLICY_UNREADABLE */
  code: string;
  file: string;
  line: number | undefined;
  reason: string;
}

export interface LoadedPolicy {
  /** The path it was read from (or would have been). */
  readonly file: string;
  /** Set when the file is malformed or unreadable: then every call is "ask". */
  readonly problem: PolicyProblem | undefined;
}
