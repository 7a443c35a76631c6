import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, type LoadedPolicy, loadPolicy, type ToolCall } from "../src/policy/index.js";

/*
 * Paths on a real file system: the project is the git work tree (else the working directory),
 * symlinks are followed, and hitl's configuration and agents' hook settings are protected from
 * file tools and from the shell alike. Everything lives under /dev/shm: the temp directory is
 * scratch space the default policy lets agents write, so "outside the project" is tested elsewhere.
 */
let root: string;
let project: string;
let home: string;
let env: Record<string, string>;
let policy: LoadedPolicy;

beforeAll(async () => {
  root = await mkdtemp("/dev/shm/hitl-policy-paths-");
  project = join(root, "project");
  home = join(root, "home");
  env = { HOME: home, HITL_CONFIG_DIR: join(home, ".config", "hitl") };
  await mkdir(join(project, ".git"), { recursive: true });
  await mkdir(join(project, "a", "b"), { recursive: true });
  await mkdir(join(root, "plain", "sub"), { recursive: true });
  await mkdir(join(home, ".claude"), { recursive: true });
  await writeFile(join(home, ".claude", "settings.json"), "{}");
  await symlink("/etc", join(project, "etc-link"));
  await symlink(join(home, ".claude", "settings.json"), join(project, "innocent.json"));
  policy = await loadPolicy({ env });
});
afterAll(() => rm(root, { recursive: true, force: true }));

const write = (paths: string[], cwd = project): ToolCall => ({ kind: "file-write", agentTool: "Write", paths, cwd });
const shell = (command: string, cwd = project): ToolCall => ({ kind: "shell", agentTool: "Bash", command, cwd });
const verdictOf = async (call: ToolCall) => {
  const verdict = await decide(policy, call, { env });
  return `${verdict.decision} ${verdict.rule}`;
};

describe("inside and outside the project", () => {
  it("the project is the git work tree, from any subdirectory", async () => {
    expect(await verdictOf(write(["../../notes.md"], join(project, "a", "b")))).toBe("allow builtin:otherwise");
    expect(await verdictOf(write(["../../../elsewhere.md"], join(project, "a", "b")))).toBe("ask builtin:write-outside-project");
    expect(await verdictOf(shell("cp x ../../README.md", join(project, "a", "b")))).toBe("allow builtin:otherwise");
    expect(await verdictOf(shell("cp x ../../../README.md", join(project, "a", "b")))).toBe("ask builtin:write-outside-project");
  });

  it("without git, the project is the working directory", async () => {
    expect(await verdictOf(write(["notes.md"], join(root, "plain", "sub")))).toBe("allow builtin:otherwise");
    expect(await verdictOf(write(["../notes.md"], join(root, "plain", "sub")))).toBe("ask builtin:write-outside-project");
  });

  it("absolute paths, the temp directory and /dev/null", async () => {
    expect(await verdictOf(write([join(project, "src", "x.ts")]))).toBe("allow builtin:otherwise");
    expect(await verdictOf(write(["/etc/hosts"]))).toBe("ask builtin:write-outside-project");
    expect(await verdictOf(write(["/tmp/scratch.txt"]))).toBe("allow builtin:otherwise");
    expect(await verdictOf(shell("make > /dev/null 2>&1"))).toBe("allow builtin:otherwise");
    expect(await verdictOf(write(["src/x.ts", "/etc/hosts"]))).toBe("ask builtin:write-outside-project");
  });

  it("follows symlinks: a link inside the project to /etc is outside", async () => {
    expect(await verdictOf(write(["etc-link/hosts"]))).toBe("ask builtin:write-outside-project");
    expect(await verdictOf(shell("echo 127.0.0.1 evil >> etc-link/hosts"))).toBe("ask builtin:write-outside-project");
  });

  it("follows cd in the command line", async () => {
    expect(await verdictOf(shell("cd a && touch x"))).toBe("allow builtin:otherwise");
    expect(await verdictOf(shell("cd .. && touch x"))).toBe("ask builtin:write-outside-project");
    expect(await verdictOf(shell("cd /etc; touch x"))).toBe("ask builtin:write-outside-project");
    expect(await verdictOf(shell("cd $SOMEWHERE && touch x"))).toBe("ask builtin:write-outside-project");
  });
});

describe("hook settings and hitl's configuration", () => {
  const protectedPaths = () => [
    ".claude/settings.json",
    ".claude/settings.local.json",
    "a/.claude/settings.json",
    join(home, ".claude", "settings.json"),
    join(home, ".claude", "settings.local.json"),
    join(home, ".codex", "config.toml"),
    ".codex/config.toml",
    ".gemini/settings.json",
    join(home, ".gemini", "settings.json"),
    join(home, ".config", "hitl", "policy.json"),
    join(home, ".config", "hitl", "approvers.json"),
    join(home, ".config", "hitl", "host-secret"),
    "innocent.json",
  ];

  it("file tools (Write, Edit, MultiEdit, NotebookEdit) are asked", async () => {
    for (const agentTool of ["Write", "Edit", "MultiEdit", "NotebookEdit"]) {
      for (const path of protectedPaths()) {
        const verdict = await decide(policy, { kind: "file-write", agentTool, paths: [path], cwd: project }, { env });
        expect(`${path}: ${verdict.decision} ${verdict.rule}`).toBe(`${path}: ask builtin:protect-hitl`);
      }
    }
  });

  it("the shell is asked for every way of writing them", async () => {
    for (const path of protectedPaths()) {
      for (const command of [
        `echo '{}' > ${path}`,
        `echo x >> ${path}`,
        `cp evil.json ${path}`,
        `mv ${path} gone.json`,
        `sed -i 's/hitl//' ${path}`,
        `tee ${path} < x`,
        `rm ${path}`,
        `ln -sf /dev/null ${path}`,
        `truncate -s 0 ${path}`,
        `dd if=x of=${path}`,
      ]) {
        const verdict = await decide(policy, shell(command), { env });
        expect(`${command}: ${verdict.decision}`).toBe(`${command}: ask`);
        expect(["builtin:protect-hitl", "builtin:disk-tools"]).toContain(verdict.rule);
      }
    }
  });

  it("whole directories: moving or deleting .claude, .codex or the configuration", async () => {
    for (const command of [
      "mv .claude .claude.off",
      "rm -r ~/.codex",
      "mv ~/.config ~/.config.bak",
      "rmdir .gemini",
      "find ~/.config -delete",
    ]) {
      const verdict = await decide(policy, shell(command), { env });
      expect(`${command}: ${verdict.decision}`).toBe(`${command}: ask`);
    }
    expect((await decide(policy, shell("mv .claude .claude.off"), { env })).rule).toBe("builtin:protect-hitl");
  });

  it("a policy file named by HITL_POLICY is protected too", async () => {
    const elsewhere = join(project, "ops", "hitl-policy.json");
    await mkdir(join(project, "ops"), { recursive: true });
    await writeFile(elsewhere, JSON.stringify({ version: 1, rules: [] }));
    const withPolicy = { ...env, HITL_POLICY: elsewhere };
    const own = await loadPolicy({ env: withPolicy });
    expect(own.problem).toBeUndefined();
    expect((await decide(own, write([elsewhere]), { env: withPolicy })).rule).toBe("builtin:protect-hitl");
    expect((await decide(own, shell("echo '{}' > ops/hitl-policy.json"), { env: withPolicy })).rule).toBe("builtin:protect-hitl");
  });

  it("reading them is not writing them", async () => {
    const verdict = await decide(
      policy,
      { kind: "file-read", agentTool: "Read", paths: [join(home, ".claude", "settings.json")], cwd: project },
      { env },
    );
    expect(verdict.decision).toBe("allow");
  });
});

describe("path rules in a policy file", () => {
  it("globs: relative to the project, ~/, **/ and absolute", async () => {
    const file = join(root, "paths-policy.json");
    await writeFile(
      file,
      JSON.stringify({
        version: 1,
        rules: [
          {
            id: "generated",
            decision: "deny",
            reason: "generated code is never edited by hand",
            when: { writes: { paths: ["src/generated/**"] } },
          },
          { id: "env-files", decision: "ask", when: { writes: { paths: ["**/.env"] } } },
          { id: "ssh", decision: "deny", when: { reads: { paths: ["~/.ssh/**"] } } },
          { id: "etc", decision: "deny", when: { writes: { paths: ["/etc/**"] } } },
        ],
      }),
    );
    const own = await loadPolicy({ file, env });
    expect(own.problem).toBeUndefined();
    const ruleOf = async (call: ToolCall) => (await decide(own, call, { env })).rule;
    expect(await ruleOf(write(["src/generated/api.ts"]))).toBe("generated");
    expect(await ruleOf(write(["../../src/generated/api.ts"], join(project, "a", "b")))).toBe("generated");
    expect(await ruleOf(write(["src/api.ts"]))).toBe("otherwise");
    expect(await ruleOf(write(["a/.env"]))).toBe("env-files");
    expect(await ruleOf(shell("echo KEY=1 > .env"))).toBe("env-files");
    expect(await ruleOf({ kind: "file-read", agentTool: "Read", paths: ["~/.ssh/id_ed25519".replace("~", home)], cwd: project })).toBe(
      "ssh",
    );
    expect(await ruleOf(shell("cp x /etc/motd"))).toBe("etc");
    expect(await ruleOf(write(["etc-link/motd"]))).toBe("etc");
  });
});
