import { describe, expect, it } from "vitest";
import type { AgentName } from "../src/hooks/lib/agents.js";
import { patchPaths, toToolCall } from "../src/hooks/lib/tool-call.js";

/*
 * What the policy is asked about, per agent and tool: the command and the directory it runs in,
 * the absolute paths a file tool touches, the URL, the MCP server and tool. A known tool in a
 * shape hitl does not read is "other" and marked unexpected (then asked whatever the policy says).
 */

const CWD = "/home/dev/app";
const map = (agent: AgentName, toolName: string, toolInput: Record<string, unknown>) =>
  toToolCall(agent, { toolName, toolInput, cwd: CWD, event: agent === "gemini" ? "BeforeTool" : "PreToolUse" });

describe("toToolCall", () => {
  it.each([
    ["claude-code", "Bash", { command: "git status" }, { kind: "shell", agentTool: "Bash", command: "git status", cwd: CWD }],
    [
      "claude-code",
      "Write",
      { file_path: "src/a.ts", content: "" },
      { kind: "file-write", agentTool: "Write", paths: [`${CWD}/src/a.ts`], cwd: CWD },
    ],
    [
      "claude-code",
      "Edit",
      { file_path: "/etc/hosts", old_string: "a", new_string: "b" },
      { kind: "file-write", agentTool: "Edit", paths: ["/etc/hosts"], cwd: CWD },
    ],
    [
      "claude-code",
      "NotebookEdit",
      { notebook_path: "/home/dev/app/n.ipynb", new_source: "" },
      { kind: "file-write", agentTool: "NotebookEdit", paths: ["/home/dev/app/n.ipynb"], cwd: CWD },
    ],
    [
      "claude-code",
      "Read",
      { file_path: "/home/dev/.ssh/id_ed25519" },
      { kind: "file-read", agentTool: "Read", paths: ["/home/dev/.ssh/id_ed25519"], cwd: CWD },
    ],
    ["claude-code", "Grep", { pattern: "TODO" }, { kind: "file-read", agentTool: "Grep", paths: [CWD], cwd: CWD }],
    [
      "claude-code",
      "WebFetch",
      { url: "https://example.com", prompt: "p" },
      { kind: "fetch", agentTool: "WebFetch", url: "https://example.com", cwd: CWD },
    ],
    ["claude-code", "TodoWrite", { todos: [] }, { kind: "other", agentTool: "TodoWrite", input: { todos: [] }, cwd: CWD }],
    [
      "claude-code",
      "mcp__my_db__run_query",
      { sql: "DROP TABLE users" },
      { kind: "mcp", server: "my_db", tool: "run_query", arguments: { sql: "DROP TABLE users" }, readOnlyHint: undefined, cwd: CWD },
    ],
    [
      "codex",
      "Bash",
      { command: ["bash", "-lc", "rm -rf build"] },
      { kind: "shell", agentTool: "Bash", command: "rm -rf build", cwd: CWD },
    ],
    ["codex", "Bash", { command: ["rm", "-rf", "my dir"] }, { kind: "shell", agentTool: "Bash", command: "rm -rf 'my dir'", cwd: CWD }],
    [
      "codex",
      "apply_patch",
      {
        command:
          "*** Begin Patch\n*** Add File: a.txt\n+x\n*** Update File: b.txt\n*** Move to: /tmp/c.txt\n*** Delete File: d.txt\n*** End Patch",
      },
      { kind: "file-write", agentTool: "apply_patch", paths: [`${CWD}/a.txt`, `${CWD}/b.txt`, "/tmp/c.txt", `${CWD}/d.txt`], cwd: CWD },
    ],
    [
      "gemini",
      "run_shell_command",
      { command: "make", dir_path: "sub" },
      { kind: "shell", agentTool: "run_shell_command", command: "make", cwd: `${CWD}/sub` },
    ],
    [
      "gemini",
      "read_many_files",
      { paths: ["a", "/b"] },
      { kind: "file-read", agentTool: "read_many_files", paths: [`${CWD}/a`, "/b"], cwd: CWD },
    ],
    [
      "gemini",
      "web_fetch",
      { prompt: "Compare https://a.example/x and https://b.example/y" },
      { kind: "other", agentTool: "web_fetch", input: { prompt: "Compare https://a.example/x and https://b.example/y" }, cwd: CWD },
    ],
  ] as const)("%s %s", (agent, tool, input, call) => {
    expect(map(agent, tool, input)).toEqual({ call, unexpected: undefined });
  });

  it.each([
    ["claude-code", "Bash", { cmd: "rm -rf /" }, "hitl does not recognise this Bash input (it has no command string), so it asks"],
    [
      "claude-code",
      "Write",
      { path: "/etc/passwd" },
      "hitl does not recognise this Write input (its file path is missing or not a string), so it asks",
    ],
    ["claude-code", "WebFetch", { url: 42 }, "hitl does not recognise this WebFetch input (it has no url string), so it asks"],
    [
      "codex",
      "apply_patch",
      { command: "no headers" },
      "hitl does not recognise this apply_patch input (its file path is missing or not a string), so it asks",
    ],
    ["codex", "Bash", { command: ["ls", 1] }, "hitl does not recognise this Bash input (it has no command string), so it asks"],
    [
      "gemini",
      "run_shell_command",
      { command: "ls", dir_path: 7 },
      "hitl does not recognise this run_shell_command input (its directory is not a string), so it asks",
    ],
  ] as const)("%s %s in an unknown shape -> other, marked", (agent, tool, input, unexpected) => {
    expect(map(agent, tool, input)).toEqual({ call: { kind: "other", agentTool: tool, input, cwd: CWD }, unexpected });
  });

  it("patchPaths reads every file header, CRLF too", () => {
    expect(patchPaths("*** Begin Patch\r\n*** Update File: x/y.ts\r\n*** End Patch\r\n")).toEqual(["x/y.ts"]);
  });
});
