import type { Decision } from "../types.js";

/** The kinds of call a rule can name (ToolCall["kind"]). */
export const CALL_KINDS = ["shell", "file-write", "file-read", "fetch", "mcp", "other"] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export const DECISIONS: readonly Decision[] = ["allow", "ask", "deny"];

/** A validated policy file (policy.schema.json), with every optional list normalised to an array. */
export interface PolicyDocument {
  readonly version: 1;
  /** true = ask for everything (as HITL_SECURE=1). */
  readonly secure: boolean;
  /** The built-in default rules follow this file's rules. */
  readonly includeDefaultRules: boolean;
  /** The decision when no rule matches. */
  readonly otherwise: Decision;
  readonly rules: readonly Rule[];
}

export interface Rule {
  readonly id: string;
  readonly decision: Decision;
  readonly reason: string | undefined;
  readonly timeout: number | undefined;
  readonly audience: string | undefined;
  readonly when: Match;
}

/** Every field given must match (AND); lists inside a field are alternatives (OR). */
export interface Match {
  readonly kind?: readonly CallKind[];
  /** Agent tool names (globs): "Bash", "Write", "mcp__github__*"; an MCP call's name is mcp__<server>__<tool>. */
  readonly tool?: readonly string[];
  readonly mcp?: McpMatch;
  readonly command?: CommandMatch;
  readonly writes?: PathMatch;
  readonly reads?: PathMatch;
  /** URL globs for fetch calls. */
  readonly url?: readonly string[];
}

export interface McpMatch {
  readonly server?: readonly string[];
  readonly tool?: readonly string[];
  /** true: only tools annotated readOnlyHint: true; false: every other tool (annotation false or unknown). */
  readonly readOnly?: boolean;
}

export interface CommandMatch {
  /** Program basenames after unwrapping (globs: "mkfs*"). */
  readonly program?: readonly string[];
  /** Any non-option word is one of these ("git -C dir push" has subcommand push). */
  readonly subcommand?: readonly string[];
  /** Any of these options is given: "-r" also matches inside "-rf"; "--force" also matches "--force=x". */
  readonly flags?: readonly string[];
  /** Any argument matches one of these globs. */
  readonly args?: readonly string[];
  /** "destructive": SQL given to a client drops, truncates, or deletes/updates without WHERE. */
  readonly sql?: "destructive";
  /** true: the command is an interpreter whose input is a download (curl … | sh). */
  readonly downloadPipedIn?: boolean;
}

export interface PathMatch {
  /** A path outside the project (the git root, else the working directory), the temp directory and /dev/null. */
  readonly outsideProject?: boolean;
  /** Globs: absolute, "~/…" (home), "**\/…" (anywhere), or relative to the project root. */
  readonly paths?: readonly string[];
}
