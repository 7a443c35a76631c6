import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY_JSON } from "../src/policy/lib/default-rules.js";
import { readmeSnippet, snippetCodeLines } from "./helpers/readme-snippet.js";
import { BIN, isolatedDirs, runCli, startCommand } from "./helpers/run-cli.js";

/* `hitl policy check|explain|init` as users run them: the built command (cli/dist/bin.js). */
let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let env: Record<string, string>;

beforeAll(async () => {
  dirs = await isolatedDirs();
  env = { ...dirs.env, HOME: join(dirs.root, "home") };
  await mkdir(env.HOME!, { recursive: true });
});
afterAll(() => dirs.cleanup());

describe("hitl --help", () => {
  it("lists the policy command", async () => {
    const run = await runCli(["--help"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}policy +check the agent policy file, or explain its verdict on a command$/m);
  });
});

describe("hitl policy check", () => {
  it("without a file: the built-in default applies, exit 0", async () => {
    const run = await runCli(["policy", "check"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `${join(env.HITL_CONFIG_DIR!, "policy.json")}: no such file; the built-in default policy applies (hitl policy init writes it there to edit).\n`,
    );
  });

  it("an invalid file: exit 3 with FILE:LINE: reason", async () => {
    const file = join(dirs.root, "bad.json");
    await writeFile(
      file,
      '{\n  "version": 1,\n  "rules": [\n    { "id": "x", "decision": "sometimes", "when": { "tool": "Bash" } }\n  ]\n}\n',
    );
    const run = await runCli(["policy", "check", file], env);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`hitl: ERR_POLICY_INVALID: ${file}:4: "decision" must be "allow", "ask" or "deny", got "sometimes".\n`);
  });

  it("a file that is not there, named explicitly: exit 3, ERR_POLICY_UNREADABLE", async () => {
    const file = join(dirs.root, "missing.json");
    const run = await runCli(["policy", "check", file], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`hitl: ERR_POLICY_UNREADABLE: ${file}: cannot be read (ENOENT)\n`);
  });

  it("usage errors: exit 3, ERR_USAGE", async () => {
    const run = await runCli(["policy", "check", "a.json", "b.json"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("hitl: ERR_USAGE: Give at most one policy file, got 2. Run 'hitl policy --help'.\n");
    const unknown = await runCli(["policy", "lint"], env);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toBe(
      "hitl: ERR_USAGE: Unknown policy command 'lint'; use check, explain or init. Run 'hitl policy --help' for the options.\n",
    );
    const stray = await runCli(["policy", "check", "--force"], env);
    expect(stray.code).toBe(3);
    expect(stray.stderr).toBe("hitl: ERR_USAGE: --force does not go with 'hitl policy check'. Run 'hitl policy --help' for the options.\n");
  });
});

describe("hitl policy init", () => {
  it("writes the default policy (0600), which check accepts; refuses to overwrite without --force", async () => {
    const own = { ...env, HITL_CONFIG_DIR: join(dirs.root, "init-config") };
    const file = join(own.HITL_CONFIG_DIR, "policy.json");
    const run = await runCli(["policy", "init"], own);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Wrote the default policy to ${file}. Check it after editing with: hitl policy check\n`);
    expect(JSON.parse(await readFile(file, "utf8"))).toEqual(DEFAULT_POLICY_JSON);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const check = await runCli(["policy", "check"], own);
    expect(check.code).toBe(0);
    expect(check.stdout).toBe(`${file}: valid (${DEFAULT_POLICY_JSON.rules.length} rules).\n`);
    // The written default decides as the built-in one, with its own rule ids.
    const explain = await runCli(["policy", "explain", "--json", "--", "rm -rf build"], own);
    expect(JSON.parse(explain.stdout)).toMatchObject({ decision: "ask", rule: "destructive-rm" });
    const again = await runCli(["policy", "init"], own);
    expect(again.code).toBe(3);
    expect(again.stderr).toBe(
      `hitl: ERR_USAGE: ${file} exists; edit it, or run 'hitl policy init --force' to replace it with the default.\n`,
    );
    expect((await runCli(["policy", "init", "--force"], own)).code).toBe(0);
  });
});

describe("hitl policy explain", () => {
  it("prints the decision, the rule and each part of the command", async () => {
    const run = await runCli(["policy", "explain", "--cwd", "/srv/project", "--", "ls -la && bash -c 'rm -rf build'"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        "ASK — rm -r deletes a directory tree (rule builtin:destructive-rm): rm -rf build (inside bash -c)",
        "rule: builtin:destructive-rm",
        "parts (read with tree-sitter-bash):",
        "  allow  ls -la  [builtin:otherwise]",
        "  allow  bash -c rm -rf build  [builtin:otherwise]",
        "  ask    rm -rf build  (inside bash -c)  [builtin:destructive-rm]",
        "",
      ].join("\n"),
    );
  });

  it("--json gives the verdict and the parts", async () => {
    const run = await runCli(["policy", "explain", "--json", "--cwd", "/srv/project", "--", "git", "status"], env);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "allow",
      rule: "builtin:otherwise",
      reason: "no rule matched; the policy's default is allow",
      parser: "fast",
      parts: [{ text: "git status", program: "git", args: ["status"], via: [], writes: [], decision: "allow", rule: "builtin:otherwise" }],
    });
  });

  it("with a broken policy: ask, and the problem on stderr", async () => {
    const file = join(dirs.root, "broken.json");
    await writeFile(file, "{");
    const run = await runCli(["policy", "explain", "--policy", file, "--", "ls"], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`hitl: ERR_POLICY_INVALID: ${file}:1: not valid JSON: Unexpected token LBrace found.\n`);
    expect(run.stdout.split("\n")[1]).toBe("rule: policy-error");
  });

  it("without a command: ERR_USAGE", async () => {
    const run = await runCli(["policy", "explain"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe("hitl: ERR_USAGE: Give the command to explain after --, e.g. hitl policy explain -- rm -rf build.\n");
    const mcp = await runCli(["policy", "explain", "--tool", "mcp__fs__write", "--", "not json"], env);
    expect(mcp.code).toBe(3);
    expect(mcp.stderr).toBe(
      `hitl: ERR_USAGE: For an MCP tool, give the call's arguments as one JSON object after --, e.g. -- '{"path": "a.txt"}'.\n`,
    );
  });
});

describe("the README's policy snippet", () => {
  const snippet = readmeSnippet("policy");
  const readme = async () => readFile(new URL("../../README.md", import.meta.url), "utf8");

  it("is a JSON policy of ten lines or fewer that hitl policy check accepts", async () => {
    expect(snippet.language).toBe("json");
    expect(snippetCodeLines(snippet.code)).toBeLessThanOrEqual(10);
    const file = join(dirs.root, "readme-policy.json");
    await writeFile(file, snippet.code);
    const run = await runCli(["policy", "check", file], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${file}: valid (3 rules).\n`);
  });

  it("gives the verdicts the README states, run as a user types them", async () => {
    const section = (await readme()).split("### Policy")[1]!.split("\n### ")[0]!.split("\n## ")[0]!;
    const stated = [...section.matchAll(/^- `(hitl policy explain .+)` → \*\*(allow|ask|deny)\*\* \(`([^`]+)`/gm)];
    expect(stated.length).toBe(5);
    const file = join(dirs.root, "readme-policy.json");
    await writeFile(file, snippet.code);
    for (const [, line, decision, rule] of stated) {
      const command = line!.replace(/^hitl /, `"${process.execPath}" "${BIN}" `).replace(" explain ", " explain --json ");
      const run = await startCommand("bash", ["-c", command], { ...env, HITL_POLICY: file }, { stdin: "ignore" }).done;
      expect(run.stderr, line).toBe("");
      expect(JSON.parse(run.stdout), line).toMatchObject({ decision, rule });
    }
  });
});
