import { resolve } from "node:path";
import type { ToolCall } from "../../policy/index.js";
import type { AgentName } from "./agents.js";
import type { HookInput } from "./hook-input.js";

/**
 * The policy's view of one tool call. `unexpected` is set when a tool hitl knows arrives in a
 * shape it does not (a renamed field, a new agent version): the call is then described as
 * "other" for the policy, and asked for whatever the policy says, so a shape hitl cannot read
 * never slips through as an allowed "other" tool.
 */
export interface MappedCall {
  call: ToolCall;
  unexpected: string | undefined;
}

export function toToolCall(agent: AgentName, input: HookInput): MappedCall {
  const mcp = mcpCall(input);
  if (mcp !== undefined) return mcp;
  switch (agent) {
    case "claude-code":
      return claudeCall(input);
    case "codex":
      return codexCall(input);
    case "gemini":
      return geminiCall(input);
  }
}

/** mcp__<server>__<tool>, the same naming in all three agents; the server is the first segment. */
function mcpCall({ toolName, toolInput, cwd }: HookInput): MappedCall | undefined {
  const match = /^mcp__([^_](?:[^_]|_(?!_))*)__(.+)$/.exec(toolName);
  if (match === null) return undefined;
  return {
    call: { kind: "mcp", server: match[1] as string, tool: match[2] as string, arguments: toolInput, readOnlyHint: undefined, cwd },
    unexpected: undefined,
  };
}

function claudeCall(input: HookInput): MappedCall {
  const { toolName, toolInput: tool, cwd } = input;
  switch (toolName) {
    case "Bash":
      return shell(input, tool.command, cwd);
    case "Write":
    case "Edit":
    case "MultiEdit":
      return files(input, "file-write", [tool.file_path]);
    case "NotebookEdit":
      return files(input, "file-write", [tool.notebook_path]);
    case "Read":
      return files(input, "file-read", [tool.file_path]);
    case "NotebookRead":
      return files(input, "file-read", [tool.notebook_path]);
    case "Glob":
    case "Grep":
      return files(input, "file-read", [tool.path ?? cwd]);
    case "LS":
      return files(input, "file-read", [tool.path]);
    case "WebFetch":
      return fetch(input, tool.url);
    default:
      return other(input);
  }
}

function codexCall(input: HookInput): MappedCall {
  const { toolName, toolInput: tool } = input;
  switch (toolName) {
    case "Bash":
      return shell(input, commandText(tool.command), input.cwd);
    case "apply_patch":
      return typeof tool.command === "string" ? files(input, "file-write", patchPaths(tool.command)) : files(input, "file-write", []);
    default:
      return other(input);
  }
}

function geminiCall(input: HookInput): MappedCall {
  const { toolName, toolInput: tool, cwd } = input;
  switch (toolName) {
    case "run_shell_command": {
      const dir = tool.dir_path ?? tool.directory;
      if (dir !== undefined && (typeof dir !== "string" || dir.length === 0)) return unexpected(input, "its directory is not a string");
      return shell(input, tool.command, dir === undefined ? cwd : resolve(cwd, dir));
    }
    case "write_file":
    case "replace":
      return files(input, "file-write", [tool.file_path]);
    case "read_file":
      return files(input, "file-read", [tool.absolute_path ?? tool.file_path]);
    case "read_many_files":
      return files(input, "file-read", Array.isArray(tool.paths) ? tool.paths : [undefined]);
    case "glob":
    case "search_file_content":
    case "grep_search":
      return files(input, "file-read", [tool.path ?? tool.dir_path ?? cwd]);
    case "list_directory":
      return files(input, "file-read", [tool.path ?? tool.dir_path]);
    case "web_fetch": {
      // Gemini's web_fetch takes a prompt with the URLs in it; one URL is a fetch, more are "other".
      const urls = typeof tool.prompt === "string" ? (tool.prompt.match(/\bhttps?:\/\/[^\s<>"'`]+/g) ?? []) : [];
      return urls.length === 1 ? fetch(input, urls[0]) : other(input);
    }
    default:
      return other(input);
  }
}

function shell(input: HookInput, command: unknown, cwd: string): MappedCall {
  if (typeof command !== "string" || command.length === 0) return unexpected(input, "it has no command string");
  return { call: { kind: "shell", agentTool: input.toolName, command, cwd }, unexpected: undefined };
}

function files(input: HookInput, kind: "file-write" | "file-read", paths: readonly unknown[]): MappedCall {
  if (paths.length === 0 || !paths.every((path): path is string => typeof path === "string" && path.length > 0)) {
    return unexpected(input, "its file path is missing or not a string");
  }
  // Relative paths are resolved where the tool runs, so "outside the project" is judged on the real path.
  return {
    call: { kind, agentTool: input.toolName, paths: paths.map((path) => resolve(input.cwd, path)), cwd: input.cwd },
    unexpected: undefined,
  };
}

function fetch(input: HookInput, url: unknown): MappedCall {
  if (typeof url !== "string" || url.length === 0) return unexpected(input, "it has no url string");
  return { call: { kind: "fetch", agentTool: input.toolName, url, cwd: input.cwd }, unexpected: undefined };
}

function other(input: HookInput): MappedCall {
  return { call: { kind: "other", agentTool: input.toolName, input: input.toolInput, cwd: input.cwd }, unexpected: undefined };
}

function unexpected(input: HookInput, why: string): MappedCall {
  return { ...other(input), unexpected: `hitl does not recognise this ${input.toolName} input (${why}), so it asks` };
}

/** Codex sends a shell command as a string, or (older builds) as an argv array: shown as one line. */
function commandText(command: unknown): unknown {
  if (!Array.isArray(command) || !command.every((word): word is string => typeof word === "string")) return command;
  // ["bash", "-lc", "script"]: the script is what runs.
  if (command.length === 3 && /^(?:\/\S*\/)?(?:ba|z|da)?sh$/.test(command[0] as string) && /^-l?c$/.test(command[1] as string)) {
    return command[2];
  }
  return command.map(quoteWord).join(" ");
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Files an apply_patch envelope touches: "*** Add File: p", "*** Update File: p", "*** Delete File: p", "*** Move to: p". */
export function patchPaths(patch: string): string[] {
  const paths: string[] = [];
  for (const line of patch.split(/\r?\n/)) {
    const match = /^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/.exec(line);
    if (match !== null) paths.push((match[1] as string).trim());
  }
  return paths;
}
