import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolvePaths } from "@hitl/verifier";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, defaultPolicyFile, type LoadedPolicy, loadPolicy, type ToolCall } from "../src/policy/index.js";
import { configDir } from "../src/policy/lib/config-dir.js";
import { MAX_POLICY_BYTES } from "../src/policy/load-policy.js";

/*
 * Loading a policy file: every way it can be wrong is reported with the file, the line and the
 * reason, and makes every call "ask"; a valid file's rules decide in order.
 */
let root: string;
let env: Record<string, string>;
const PROJECT = "/srv/project";
const shell = (command: string): ToolCall => ({ kind: "shell", agentTool: "Bash", command, cwd: PROJECT });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hitl-policy-load-"));
  env = { HOME: join(root, "home"), HITL_CONFIG_DIR: join(root, "config") };
  await mkdir(env.HITL_CONFIG_DIR!, { recursive: true });
});
afterAll(() => rm(root, { recursive: true, force: true }));

let counter = 0;
async function policyFrom(text: string | Buffer): Promise<{ file: string; policy: LoadedPolicy }> {
  const file = join(root, `policy-${counter++}.json`);
  await writeFile(file, text);
  return { file, policy: await loadPolicy({ file, env }) };
}

describe("where the policy is", () => {
  it("is $HITL_CONFIG_DIR/policy.json, or $HITL_POLICY", () => {
    expect(defaultPolicyFile({ HITL_CONFIG_DIR: "/etc/hitl-x" })).toBe("/etc/hitl-x/policy.json");
    expect(defaultPolicyFile({ HITL_CONFIG_DIR: "/etc/hitl-x", HITL_POLICY: "/opt/p.json" })).toBe("/opt/p.json");
    expect(defaultPolicyFile({ HOME: "/home/u" })).toBe("/home/u/.config/hitl/policy.json");
    expect(defaultPolicyFile({ HOME: "/home/u", XDG_CONFIG_HOME: "/x" })).toBe("/x/hitl/policy.json");
  });

  it("finds hitl's configuration directory as @hitl/verifier does", () => {
    for (const e of [
      { HOME: "/home/u" },
      { HOME: "/home/u", XDG_CONFIG_HOME: "/x" },
      { HITL_CONFIG_DIR: "/c", HOME: "/h" },
      { HITL_CONFIG_DIR: "", HOME: "/h" },
    ]) {
      expect(configDir(e)).toBe(resolvePaths(e).configDir);
    }
  });

  it("a missing file at the default place is the built-in default policy", async () => {
    const policy = await loadPolicy({ env });
    expect(policy).toEqual({ file: join(env.HITL_CONFIG_DIR!, "policy.json"), problem: undefined });
    expect((await decide(policy, shell("rm -rf build"), { env })).rule).toBe("builtin:destructive-rm");
    expect((await decide(policy, shell("ls"), { env })).rule).toBe("builtin:otherwise");
  });

  it("a file named explicitly that is missing is a problem, not the default", async () => {
    const file = join(root, "nope.json");
    const policy = await loadPolicy({ file, env });
    expect(policy.problem).toEqual({ code: "ERR_POLICY_UNREADABLE", file, line: undefined, reason: "cannot be read (ENOENT)" });
    const viaEnv = await loadPolicy({ env: { ...env, HITL_POLICY: file } });
    expect(viaEnv.problem?.code).toBe("ERR_POLICY_UNREADABLE");
    const verdict = await decide(policy, shell("ls"), { env });
    expect(verdict).toEqual({
      decision: "ask",
      rule: "policy-error",
      reason: `The policy ${file} cannot be read (ENOENT); every call is asked until it is fixed (run: hitl policy check).`,
      timeoutSeconds: undefined,
      audience: undefined,
    });
  });

  it("a file that cannot be read (a directory) makes everything ask", async () => {
    const file = join(root, "a-directory.json");
    await mkdir(file);
    const policy = await loadPolicy({ file, env });
    expect(policy.problem).toEqual({ code: "ERR_POLICY_UNREADABLE", file, line: undefined, reason: "cannot be read (EISDIR)" });
    expect((await decide(policy, { kind: "file-read", agentTool: "Read", paths: ["a"], cwd: PROJECT }, { env })).decision).toBe("ask");
  });
});

// [name, text, line, reason]
const INVALID: [string, string, number | undefined, string][] = [
  ["syntax error", '{\n  "version": 1,\n  "rules": [,]\n}', 3, "not valid JSON: Unexpected token Comma found."],
  ["trailing comma", '{\n  "version": 1,\n  "rules": [],\n}', 4, "not valid JSON: Unexpected token RBrace found."],
  ["empty file", "", 1, "not valid JSON: Unexpected end of input found."],
  ["not an object", "[1]", 1, "The policy must be a JSON object, got [1]."],
  [
    "duplicate key",
    '{\n  "version": 1,\n  "rules": [],\n  "rules": [{"id": "x"}]\n}',
    4,
    'the key "rules" appears twice in one object (which one counts would be a guess)',
  ],
  ["version missing", '{\n  "rules": []\n}', 1, '"version" must be 1 (it is missing).'],
  ["version 2", '{\n  "version": 2,\n  "rules": []\n}', 2, '"version" must be 1.'],
  ["rules missing", '{ "version": 1 }', 1, '"rules" is missing (use [] for none).'],
  [
    "unknown top key",
    '{\n  "version": 1,\n  "rules": [],\n  "rule": []\n}',
    4,
    'Unknown key "rule" in the policy; allowed: $schema, version, secure, includeDefaultRules, otherwise, rules.',
  ],
  ["secure not boolean", '{\n  "version": 1,\n  "secure": "yes",\n  "rules": []\n}', 3, '"secure" must be true or false, got "yes".'],
  [
    "otherwise invalid",
    '{\n  "version": 1,\n  "otherwise": "maybe",\n  "rules": []\n}',
    3,
    '"otherwise" must be "allow", "ask" or "deny", got "maybe".',
  ],
  ["rules not array", '{\n  "version": 1,\n  "rules": {}\n}', 3, '"rules" must be an array of rules.'],
  ["rule not object", '{\n  "version": 1,\n  "rules": [\n    "rm"\n  ]\n}', 4, 'A rule must be a JSON object, got "rm".'],
  [
    "unknown rule key",
    '{"version": 1, "rules": [\n{"id": "a", "decison": "ask", "when": {"tool": "Bash"}}\n]}',
    2,
    'Unknown key "decison" in a rule; allowed: id, decision, reason, timeout, audience, when.',
  ],
  ["id missing", '{"version": 1, "rules": [\n{"decision": "ask", "when": {"tool": "Bash"}}\n]}', 2, 'The rule has no "id".'],
  [
    "id invalid",
    '{"version": 1, "rules": [\n{"id": "Bad Id", "decision": "ask", "when": {"tool": "Bash"}}\n]}',
    2,
    'The rule id "Bad Id" must be lower-case letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit).',
  ],
  [
    "id twice",
    '{"version": 1, "rules": [\n{"id": "a", "decision": "ask", "when": {"tool": "Bash"}},\n{"id": "a", "decision": "allow", "when": {"tool": "Read"}}\n]}',
    3,
    'The rule id "a" is used twice; ids must be unique.',
  ],
  [
    "decision missing",
    '{"version": 1, "rules": [\n{"id": "a", "when": {"tool": "Bash"}}\n]}',
    2,
    'The rule "a" has no "decision" ("allow", "ask" or "deny").',
  ],
  [
    "decision invalid",
    '{"version": 1, "rules": [\n{"id": "a",\n "decision": "maybe", "when": {"tool": "Bash"}}]}',
    3,
    '"decision" must be "allow", "ask" or "deny", got "maybe".',
  ],
  [
    "timeout zero",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "timeout": 0, "when": {"tool": "Bash"}}]}',
    2,
    '"timeout" must be a whole number of seconds from 1 to 3600, got 0.',
  ],
  [
    "timeout too long",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "timeout": 3601, "when": {"tool": "Bash"}}]}',
    2,
    '"timeout" must be a whole number of seconds from 1 to 3600, got 3601.',
  ],
  [
    "timeout fraction",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "timeout": 1.5, "when": {"tool": "Bash"}}]}',
    2,
    '"timeout" must be a whole number of seconds from 1 to 3600, got 1.5.',
  ],
  [
    "timeout string",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "timeout": "10", "when": {"tool": "Bash"}}]}',
    2,
    '"timeout" must be a whole number of seconds from 1 to 3600, got "10".',
  ],
  [
    "audience empty",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "audience": "", "when": {"tool": "Bash"}}]}',
    2,
    '"audience" must not be empty.',
  ],
  [
    "audience too long",
    `{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "audience": "${"a".repeat(257)}", "when": {"tool": "Bash"}}]}`,
    2,
    '"audience" is longer than 256 characters.',
  ],
  [
    "reason with a bidi override",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "reason": "safe \\u202e", "when": {"tool": "Bash"}}]}',
    2,
    '"reason" contains a control, bidi or invisible character.',
  ],
  ["when missing", '{"version": 1, "rules": [\n{"id": "a", "decision": "ask"}]}', 2, 'The rule "a" has no "when" (what it matches).'],
  [
    "when empty",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n "when": {}}]}',
    2,
    '"when" is empty; name at least one of kind, tool, mcp, command, writes, reads, url.',
  ],
  [
    "unknown kind",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {\n "kind": ["shell", "exec"]}}]}',
    2,
    'Unknown kind "exec"; use one of shell, file-write, file-read, fetch, mcp, other.',
  ],
  [
    "tool list empty",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {\n "tool": []}}]}',
    2,
    '"tool" is an empty list; leave it out or name at least one.',
  ],
  [
    "tool listed twice",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {"tool": [\n"Bash",\n"Bash"]}}]}',
    3,
    '"Bash" is listed twice.',
  ],
  [
    "flag without dash",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {"command": {\n"flags": ["r"]}}}]}',
    2,
    '"r" is not an option name such as "-r" or "--recursive".',
  ],
  [
    "program with a path",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {"command": {\n"program": "/bin/rm"}}}]}',
    2,
    '"program" is matched against the program\'s basename; "/bin/rm" has a "/".',
  ],
  [
    "command empty",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {\n"command": {}}}]}',
    2,
    '"command" is empty; name at least one of program, subcommand, flags, args, sql, downloadPipedIn.',
  ],
  [
    "sql value",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {"command": {\n"sql": "all"}}}]}',
    2,
    '"sql" must be "destructive", got "all".',
  ],
  [
    "outsideProject false",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {"writes": {\n"outsideProject": false}}}]}',
    2,
    '"outsideProject" must be true (leave it out otherwise), got false.',
  ],
  [
    "mcp unknown key",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask", "when": {"mcp": {\n"readonly": true}}}]}',
    2,
    'Unknown key "readonly" in "mcp"; allowed: server, tool, readOnly.',
  ],
  [
    "a rule that can never match",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n"when": {"mcp": {"server": "x"}, "command": {"program": "rm"}}}]}',
    2,
    'This rule can never match: "command" applies only to shell calls and another field excludes those.',
  ],
  [
    "kind excludes the matcher",
    '{"version": 1, "rules": [{"id": "a", "decision": "ask",\n"when": {"kind": "fetch", "writes": {"outsideProject": true}}}]}',
    2,
    'This rule can never match: "writes" applies only to shell, file-write calls and another field excludes those.',
  ],
];

describe("a malformed policy file", () => {
  it.each(INVALID)("%s → ERR_POLICY_INVALID at line %s", async (_name, text, line, reason) => {
    const { file, policy } = await policyFrom(text);
    expect(policy.problem).toEqual({ code: "ERR_POLICY_INVALID", file, line, reason });
    const verdict = await decide(policy, shell("ls"), { env });
    expect(verdict.decision).toBe("ask");
    expect(verdict.rule).toBe("policy-error");
    expect(verdict.reason).toBe(
      `The policy ${file}${line === undefined ? "" : `:${line}`} is invalid: ${reason.replace(/\.$/, "")}; every call is asked until it is fixed (run: hitl policy check).`,
    );
  });

  it("is not UTF-8 → ERR_POLICY_INVALID", async () => {
    const { file, policy } = await policyFrom(Buffer.from([0x7b, 0xff, 0x7d]));
    expect(policy.problem).toEqual({ code: "ERR_POLICY_INVALID", file, line: undefined, reason: "the file is not valid UTF-8" });
  });

  it("is too large → ERR_POLICY_INVALID before parsing", async () => {
    const { file, policy } = await policyFrom(" ".repeat(MAX_POLICY_BYTES + 1));
    expect(policy.problem).toEqual({
      code: "ERR_POLICY_INVALID",
      file,
      line: undefined,
      reason: `the file is larger than ${MAX_POLICY_BYTES} bytes`,
    });
  });

  it("makes every kind of call ask, even one the default allows", async () => {
    const { policy } = await policyFrom("{");
    const calls: ToolCall[] = [
      shell("git status"),
      { kind: "file-read", agentTool: "Read", paths: ["README.md"], cwd: PROJECT },
      { kind: "fetch", agentTool: "WebFetch", url: "https://example.com", cwd: PROJECT },
      { kind: "mcp", server: "fs", tool: "read_file", arguments: {}, readOnlyHint: true },
      { kind: "other", agentTool: "TodoWrite", input: {}, cwd: PROJECT },
    ];
    for (const call of calls) expect((await decide(policy, call, { env })).rule).toBe("policy-error");
  });
});

describe("a valid policy file", () => {
  const rules = {
    version: 1,
    rules: [
      {
        id: "no-force-push",
        decision: "deny",
        reason: "never force-push here",
        when: { command: { program: "git", subcommand: "push", flags: ["-f", "--force"] } },
      },
      {
        id: "deploys",
        decision: "ask",
        timeout: 300,
        audience: "deploy-bot",
        reason: "a deploy",
        when: { command: { program: "make", subcommand: "deploy" } },
      },
      { id: "github-read", decision: "allow", when: { tool: "mcp__github__get_*" } },
      { id: "no-ssh-keys", decision: "deny", when: { reads: { paths: ["~/.ssh/**"] } } },
      { id: "internal-only", decision: "deny", when: { url: "http://169.254.169.254/*" } },
      { id: "allow-all-writes", decision: "allow", when: { kind: ["file-write"] } },
    ],
  };

  it("decides by the first rule that matches, with its timeout and audience", async () => {
    const { policy } = await policyFrom(JSON.stringify(rules));
    expect(policy.problem).toBeUndefined();
    expect(await decide(policy, shell("cd app && git push --force"), { env })).toEqual({
      decision: "deny",
      rule: "no-force-push",
      reason: "never force-push here (rule no-force-push): git push --force",
      timeoutSeconds: undefined,
      audience: undefined,
    });
    expect(await decide(policy, shell("make deploy ENV=prod"), { env })).toEqual({
      decision: "ask",
      rule: "deploys",
      reason: "a deploy (rule deploys): make deploy ENV=prod",
      timeoutSeconds: 300,
      audience: "deploy-bot",
    });
    // The built-in rules follow the file's own (includeDefaultRules defaults to true).
    expect((await decide(policy, shell("rm -rf build"), { env })).rule).toBe("builtin:destructive-rm");
    expect(
      (await decide(policy, { kind: "mcp", server: "github", tool: "get_issue", arguments: {}, readOnlyHint: undefined }, { env })).rule,
    ).toBe("github-read");
    expect(
      (await decide(policy, { kind: "mcp", server: "github", tool: "create_issue", arguments: {}, readOnlyHint: undefined }, { env })).rule,
    ).toBe("builtin:mcp-other");
    expect(
      (
        await decide(
          policy,
          { kind: "file-read", agentTool: "Read", paths: [join(env.HOME!, ".ssh", "id_ed25519")], cwd: PROJECT },
          { env },
        )
      ).decision,
    ).toBe("deny");
    expect(
      (await decide(policy, { kind: "fetch", agentTool: "WebFetch", url: "http://169.254.169.254/latest", cwd: PROJECT }, { env })).rule,
    ).toBe("internal-only");
    expect((await decide(policy, { kind: "fetch", agentTool: "WebFetch", url: "https://example.com/", cwd: PROJECT }, { env })).rule).toBe(
      "otherwise",
    );
  });

  it("cannot lift the protection of hitl's configuration or hook settings", async () => {
    const { policy } = await policyFrom(JSON.stringify(rules));
    const write = (path: string): ToolCall => ({ kind: "file-write", agentTool: "Write", paths: [path], cwd: PROJECT });
    expect((await decide(policy, write("notes.md"), { env })).rule).toBe("allow-all-writes");
    for (const path of [
      join(env.HOME!, ".claude", "settings.json"),
      ".claude/settings.local.json",
      join(env.HITL_CONFIG_DIR!, "policy.json"),
      join(env.HITL_CONFIG_DIR!, "approvers.json"),
    ]) {
      const verdict = await decide(policy, write(path), { env });
      expect(verdict.decision).toBe("ask");
      expect(verdict.rule).toBe("builtin:protect-hitl");
      expect(verdict.reason).toMatch(
        /^it may change hitl's configuration or an agent's hook settings \(.+\) \(rule builtin:protect-hitl\)$/,
      );
    }
  });

  it("without the default rules, decides by its own rules and 'otherwise' alone", async () => {
    const { policy } = await policyFrom(
      JSON.stringify({
        version: 1,
        includeDefaultRules: false,
        otherwise: "ask",
        rules: [{ id: "ls", decision: "allow", when: { command: { program: "ls" } } }],
      }),
    );
    expect((await decide(policy, shell("ls -la"), { env })).rule).toBe("ls");
    expect(await decide(policy, shell("rm -rf build"), { env })).toEqual({
      decision: "ask",
      rule: "otherwise",
      reason: "no rule matched; the policy's default is ask",
      timeoutSeconds: undefined,
      audience: undefined,
    });
  });

  it("with a deny default, a command line is denied when any part is", async () => {
    const { policy } = await policyFrom(
      JSON.stringify({
        version: 1,
        includeDefaultRules: false,
        otherwise: "deny",
        rules: [{ id: "ls", decision: "allow", when: { command: { program: ["ls", "echo"] } } }],
      }),
    );
    expect((await decide(policy, shell("ls; echo hi"), { env })).decision).toBe("allow");
    expect((await decide(policy, shell("ls; cat /etc/passwd"), { env })).decision).toBe("deny");
  });
});

describe("secure mode", () => {
  it("HITL_SECURE=1 asks for everything, a deny stays a deny", async () => {
    const { policy } = await policyFrom(
      JSON.stringify({ version: 1, rules: [{ id: "no-curl", decision: "deny", when: { command: { program: "curl" } } }] }),
    );
    const secure = { ...env, HITL_SECURE: "1" };
    expect(await decide(policy, shell("ls"), { env: secure })).toEqual({
      decision: "ask",
      rule: "secure",
      reason: "secure mode (HITL_SECURE) asks for every call",
      timeoutSeconds: undefined,
      audience: undefined,
    });
    expect(
      (await decide(policy, { kind: "mcp", server: "fs", tool: "read", arguments: {}, readOnlyHint: true }, { env: secure })).rule,
    ).toBe("secure");
    expect((await decide(policy, shell("curl https://x"), { env: secure })).decision).toBe("deny");
    // Any value but "" and "0" turns it on: a typo must not turn it off.
    expect((await decide(policy, shell("ls"), { env: { ...env, HITL_SECURE: "yes" } })).rule).toBe("secure");
    expect((await decide(policy, shell("ls"), { env: { ...env, HITL_SECURE: "0" } })).rule).toBe("otherwise");
  });

  it('"secure": true in the file does the same', async () => {
    const { policy } = await policyFrom(JSON.stringify({ version: 1, secure: true, rules: [] }));
    expect(await decide(policy, shell("ls"), { env })).toMatchObject({
      decision: "ask",
      rule: "secure",
      reason: 'secure mode ("secure": true in the policy) asks for every call',
    });
  });
});

describe("decide() never throws", () => {
  it("a policy object not made by loadPolicy → ask", async () => {
    const verdict = await decide({ file: "/x", problem: undefined }, shell("ls"), { env });
    expect(verdict).toMatchObject({
      decision: "ask",
      rule: "policy-error",
      reason: "This policy was not loaded by loadPolicy(); every call is asked.",
    });
  });

  it("a malformed call → ask with the reason", async () => {
    const policy = await loadPolicy({ env });
    const verdict = await decide(policy, { kind: "shell", agentTool: "Bash", command: 42, cwd: PROJECT } as unknown as ToolCall, { env });
    expect(verdict).toMatchObject({
      decision: "ask",
      rule: "builtin:malformed-call",
      reason: "The call cannot be judged: a shell call needs command, cwd and agentTool strings.",
    });
    const unknown = await decide(policy, { kind: "exec" } as unknown as ToolCall, { env });
    expect(unknown).toMatchObject({
      decision: "ask",
      rule: "builtin:malformed-call",
      reason: 'The call cannot be judged: unknown kind "exec".',
    });
  });
});

describe("MCP calls under the default policy", () => {
  it("allows a tool annotated readOnlyHint: true and asks for the rest (unknown annotation included)", async () => {
    const policy = await loadPolicy({ env });
    const mcp = (readOnlyHint: boolean | undefined): ToolCall => ({
      kind: "mcp",
      server: "fs",
      tool: "t",
      arguments: { path: "a" },
      readOnlyHint,
    });
    expect((await decide(policy, mcp(true), { env })).rule).toBe("builtin:mcp-read-only");
    expect((await decide(policy, mcp(false), { env })).rule).toBe("builtin:mcp-other");
    expect((await decide(policy, mcp(undefined), { env })).rule).toBe("builtin:mcp-other");
  });

  it("asks when an argument names a protected file, even for a read-only tool", async () => {
    const policy = await loadPolicy({ env });
    const verdict = await decide(
      policy,
      { kind: "mcp", server: "fs", tool: "write_file", arguments: { edits: [{ path: "/p/.claude/settings.json" }] }, readOnlyHint: true },
      { env },
    );
    expect(verdict).toMatchObject({ decision: "ask", rule: "builtin:protect-hitl" });
    expect(verdict.reason).toContain("an argument names .claude/settings");
  });
});

describe("the rule table built once per loaded policy", () => {
  it("is never shared between policies, and a changed env or cwd is judged afresh", async () => {
    const dir = await mkdtemp(join(tmpdir(), "hitl-policy-table-"));
    try {
      const env = { HOME: "/home/agent", HITL_CONFIG_DIR: dir };
      const denyLs = join(dir, "deny-ls.json");
      await writeFile(
        denyLs,
        JSON.stringify({
          version: 1,
          otherwise: "allow",
          rules: [{ id: "no-ls", decision: "deny", when: { command: { program: "ls" } } }],
        }),
      );
      const strict = await loadPolicy({ file: denyLs, env });
      const plain = await loadPolicy({ env });
      const ls: ToolCall = { kind: "shell", agentTool: "Bash", command: "ls", cwd: "/srv/project" };
      for (let round = 0; round < 2; round++) {
        expect(await decide(strict, ls, { env })).toMatchObject({ decision: "deny", rule: "no-ls" });
        expect(await decide(plain, ls, { env })).toMatchObject({ decision: "allow", rule: "builtin:otherwise" });
      }
      const write = (cwd: string): ToolCall => ({ kind: "file-write", agentTool: "Write", paths: ["/srv/project/a.txt"], cwd });
      expect((await decide(plain, write("/srv/project"), { env })).decision).toBe("allow");
      expect((await decide(plain, write("/elsewhere"), { env })).decision).toBe("ask");
      expect((await decide(plain, ls, { env: { ...env, HITL_SECURE: "1" } })).decision).toBe("ask");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
