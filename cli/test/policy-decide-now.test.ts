import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { policyDecider } from "../src/lib/mcp-gate/policy-decider.js";
import { decide, decideNow, loadPolicy, type ToolCall } from "../src/policy/index.js";

const dir = mkdtempSync(join(tmpdir(), "hitl-decide-now-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mcpCall = (args: Record<string, unknown>, readOnlyHint: boolean | undefined = true): ToolCall => ({
  kind: "mcp",
  server: "files",
  tool: "read_text_file",
  arguments: args,
  readOnlyHint,
  cwd: dir,
});

describe("decideNow: decide()'s answer without a promise", () => {
  it("gives the same verdict as decide() for MCP calls, and undefined for a shell call", async () => {
    const policy = await loadPolicy({ env: { HITL_CONFIG_DIR: join(dir, "none"), HOME: dir } });
    const env = { HITL_CONFIG_DIR: join(dir, "none"), HOME: dir };
    for (const call of [mcpCall({ path: "/tmp/x" }), mcpCall({ path: "/tmp/x" }, false), mcpCall({ path: "/tmp/x" }, undefined)]) {
      expect(decideNow(policy, call, { env })).toEqual(await decide(policy, call, { env }));
    }
    expect(decideNow(policy, mcpCall({ path: "/tmp/x" }), { env })?.decision).toBe("allow");
    expect(decideNow(policy, { kind: "shell", agentTool: "Bash", command: "ls", cwd: dir }, { env })).toBeUndefined();
  });

  it("a changed environment is never served the protected places of the one before", async () => {
    const first = { HITL_CONFIG_DIR: join(dir, "conf-a"), HOME: join(dir, "home-a") };
    const second = { HITL_CONFIG_DIR: join(dir, "conf-b"), HOME: join(dir, "home-b") };
    const policy = await loadPolicy({ env: first });
    const naming = (where: string) => mcpCall({ path: join(where, "approvers.json") });
    // conf-a is hitl's configuration under the first environment only.
    expect(decideNow(policy, naming(first.HITL_CONFIG_DIR), { env: first })).toMatchObject({
      decision: "ask",
      rule: "builtin:protect-hitl",
    });
    expect(decideNow(policy, naming(first.HITL_CONFIG_DIR), { env: second })).toMatchObject({ decision: "allow" });
    expect(decideNow(policy, naming(second.HITL_CONFIG_DIR), { env: second })).toMatchObject({
      decision: "ask",
      rule: "builtin:protect-hitl",
    });
    // HOME alone changes where ~/.claude/settings.json is, but the text check is by name: still asked.
    expect(decideNow(policy, mcpCall({ path: join(second.HOME, ".claude/settings.json") }), { env: first })?.decision).toBe("ask");
    // Secure mode read from the environment of each call, not remembered.
    expect(decideNow(policy, mcpCall({ path: "/tmp/x" }), { env: { ...first, HITL_SECURE: "1" } })).toMatchObject({ rule: "secure" });
    expect(decideNow(policy, mcpCall({ path: "/tmp/x" }), { env: first })?.decision).toBe("allow");
  });
});

describe("the gate's policy decider (one stat per call, re-read on any change)", () => {
  const call = { server: "files", tool: "write_file", arguments: { path: "/tmp/x" }, readOnlyHint: false };
  const rules = (decision: string) =>
    `${JSON.stringify({ version: 1, otherwise: "ask", rules: [{ id: "writes", decision, when: { mcp: { tool: ["write_file"] } } }] })}\n`;

  it("an edit that says ask is obeyed by the very next call, never the old allow; an unchanged file answers without a promise", async () => {
    const file = join(dir, "policy-edit.json");
    writeFileSync(file, rules("allow"));
    const ask = policyDecider({ file, env: { HOME: dir, HITL_CONFIG_DIR: join(dir, "conf") }, cwd: dir });
    expect(await ask(call)).toMatchObject({ decision: "allow", rule: "writes" });
    const now = ask(call);
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toMatchObject({ decision: "allow", rule: "writes" });
    // Same size, same second: only the bytes (and the inode's times) differ.
    const sameSize = rules("allow").replace('"allow"', '"ask"  ');
    expect(sameSize.length).toBe(rules("allow").length);
    writeFileSync(file, sameSize);
    const next = ask(call);
    expect(next).toBeInstanceOf(Promise);
    expect(await next).toMatchObject({ decision: "ask", rule: "writes" });
    writeFileSync(file, "{ not json");
    expect(await ask(call)).toMatchObject({ decision: "ask", rule: "policy-error" });
    rmSync(file);
    expect(await ask(call)).toMatchObject({ decision: "ask", rule: "policy-error" });
  });
});
