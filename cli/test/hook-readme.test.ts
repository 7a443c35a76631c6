import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Agent, hookFixture, readHookOutput } from "./helpers/hook-contracts.js";
import { freePort } from "./helpers/peer-host.js";
import { readmeSnippet, snippetCodeLines } from "./helpers/readme-snippet.js";
import { isolatedDirs } from "./helpers/run-cli.js";
import { runThroughShell } from "./helpers/write-stdin.js";

/*
 * The README's "Use it from your agent" snippets for the coding agents, run as written (each line
 * through sh, `pnpm exec hitl` from the repository, HOME a temp directory), then the hook they
 * installed run the way the agent runs it, on a call the default policy gates.
 */

const REPO = fileURLToPath(new URL("../../", import.meta.url));
let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let home: string;
let port: string;

beforeEach(async () => {
  dirs = await isolatedDirs();
  port = String(await freePort());
  home = join(dirs.root, "home");
  mkdirSync(home);
});

afterEach(async () => {
  await dirs.cleanup();
});

function sh(command: string, stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, ...dirs.env, HITL_PORT: port };
  return runThroughShell(command, stdin, { env, cwd: REPO });
}

const SETTINGS: Record<Agent, { file: string; event: string }> = {
  "claude-code": { file: ".claude/settings.json", event: "PreToolUse" },
  codex: { file: ".codex/hooks.json", event: "PreToolUse" },
  gemini: { file: ".gemini/settings.json", event: "BeforeTool" },
};

function installedCommand(agent: Agent): string | undefined {
  const settings = JSON.parse(readFileSync(join(home, SETTINGS[agent].file), "utf8")) as {
    hooks?: Record<string, { hooks: { command: string }[] }[]>;
  };
  return settings.hooks?.[SETTINGS[agent].event]?.[0]?.hooks[0]?.command;
}

describe("README: Use it from your agent (coding agents)", () => {
  it.each(["claude-code", "codex", "gemini"] as const)(
    "%s: the snippet is at most ten lines, installs a hook that blocks a gated call",
    async (agent) => {
      const { language, code } = readmeSnippet(agent);
      expect(language).toBe("sh");
      expect(snippetCodeLines(code)).toBeLessThanOrEqual(10);
      const lines = code.split("\n").filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
      expect(lines).toHaveLength(1);
      const installed = await sh(lines[0]!);
      expect(installed).toMatchObject({ code: 0, stderr: "" });
      expect(installed.stdout).toMatch(
        /^hitl now gates every (Claude Code|Codex CLI|Gemini CLI) tool call \(hook timeout 3660(000 ms| s)\): /,
      );

      // The hook it installed, run as the agent runs it: `rm -rf build` is gated, and with no
      // signing host on the port it is blocked with the reason.
      const command = installedCommand(agent);
      expect(command).toBeDefined();
      const fixture = hookFixture(agent, agent === "gemini" ? "run-shell-command" : "bash").text;
      const run = await sh(command!, fixture);
      expect(readHookOutput(agent, run)).toMatchObject({ effect: "block", reason: expect.stringContaining("ERR_HOST_UNREACHABLE") });
    },
  );
});
