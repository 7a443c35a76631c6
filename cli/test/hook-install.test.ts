import { chmodSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addApprover, type Challenge } from "@hitl/verifier";
import { parseSignRequestBody } from "@hitl/verifier/protocol";
import { makeApprover, signReceipt } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hookCommand } from "../src/hooks/install-hook.js";
import { type Agent, hookFixture, readHookOutput } from "./helpers/hook-contracts.js";
import { freePort, type PeerHost, startPeerHost } from "./helpers/peer-host.js";
import { BIN, type CliRun, isolatedDirs, startCli } from "./helpers/run-cli.js";
import { runThroughShell } from "./helpers/write-stdin.js";

/*
 * `hitl hook install <agent> [--project | --user] [--uninstall]` through the built binary, against
 * a temp HOME and a temp project, and the installed command line run the way the agents run it
 * (through sh), including when the hitl it names is gone.
 */

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let home: string;
let project: string;
let peer: PeerHost | undefined;

beforeEach(async () => {
  dirs = await isolatedDirs();
  home = join(dirs.root, "home");
  project = join(dirs.root, "project");
  mkdirSync(home);
  mkdirSync(project);
});

afterEach(async () => {
  await peer?.close();
  peer = undefined;
  await dirs.cleanup();
});

function install(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(["hook", "install", ...args], { ...dirs.env, HOME: home, ...env }, { cwd: project }).done;
}

/**
 * Removing the hook asks the human: a peer speaking the signing host's API answers every window
 * with `decision`, signed by alice's real key. The challenges it was shown are kept.
 */
async function removalAnswered(decision: "approve" | "deny"): Promise<{ env: Record<string, string>; shown: Challenge[] }> {
  const alice = makeApprover("alice");
  await addApprover(`${dirs.env.HITL_CONFIG_DIR}/approvers.json`, alice.record);
  const shown: Challenge[] = [];
  peer = await startPeerHost(
    (request) => {
      const challenge = parseSignRequestBody(request.body).challenge;
      shown.push(challenge);
      return { status: 200, body: { receipt: signReceipt(challenge, alice, { decision }) } };
    },
    { secretFile: dirs.secretFile },
  );
  return { env: { HITL_PORT: String(peer.port) }, shown };
}

const NODE = realpathSync(process.execPath);
const HITL = realpathSync(BIN);
const CLAUDE_USER = () => join(home, ".claude/settings.json");

/** A settings file as a person keeps it: other settings, other hooks, 2-space JSON. */
const THEIRS = {
  model: "opus",
  permissions: { allow: ["Bash(npm test)"], deny: ["Read(./.env)"] },
  hooks: {
    PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "/usr/local/bin/audit-bash.sh", timeout: 30 }] }],
    PostToolUse: [{ matcher: "Write|Edit", hooks: [{ type: "command", command: "npx prettier --write" }] }],
  },
  env: { FOO: "1" },
};
const THEIRS_TEXT = `${JSON.stringify(THEIRS, null, 2)}\n`;

function read(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

function ourEntry(agent: Agent): Record<string, unknown> {
  return {
    type: "command",
    ...(agent === "gemini" && { name: "hitl" }),
    command: hookCommand(NODE, HITL, agent),
    timeout: agent === "gemini" ? 3_660_000 : 3660,
  };
}

describe("hitl hook install claude-code", () => {
  it("--user into a file that does not exist yet: one entry for every tool, 0600; twice = once (not rewritten)", async () => {
    const first = await install(["claude-code"]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toBe(`hitl now gates every Claude Code tool call (hook timeout 3660 s): ${CLAUDE_USER()}\n`);
    expect(read(CLAUDE_USER())).toEqual({ hooks: { PreToolUse: [{ matcher: "*", hooks: [ourEntry("claude-code")] }] } });
    expect(statSync(CLAUDE_USER()).mode & 0o777).toBe(0o600);
    const command = (ourEntry("claude-code").command as string).split(";")[0];
    expect(command).toBe(`'${NODE}' '${HITL}' hook claude-code`);

    const before = { text: readFileSync(CLAUDE_USER(), "utf8"), mtime: statSync(CLAUDE_USER()).mtimeMs };
    const second = await install(["claude-code", "--user"]);
    expect(second).toMatchObject({ code: 0, stderr: "" });
    expect(second.stdout).toBe(`hitl's Claude Code hook is already in ${CLAUDE_USER()}; nothing changed.\n`);
    expect({ text: readFileSync(CLAUDE_USER(), "utf8"), mtime: statSync(CLAUDE_USER()).mtimeMs }).toEqual(before);
  });

  it("keeps every other key and hook; --uninstall leaves the file byte-identical to before; the mode is kept", async () => {
    mkdirSync(join(home, ".claude"));
    writeFileSync(CLAUDE_USER(), THEIRS_TEXT);
    chmodSync(CLAUDE_USER(), 0o644);
    expect((await install(["claude-code"])).code).toBe(0);
    const installed = read(CLAUDE_USER());
    expect(installed).toEqual({
      ...THEIRS,
      hooks: { ...THEIRS.hooks, PreToolUse: [...THEIRS.hooks.PreToolUse, { matcher: "*", hooks: [ourEntry("claude-code")] }] },
    });
    expect(Object.keys(installed)).toEqual(Object.keys(THEIRS));
    expect(statSync(CLAUDE_USER()).mode & 0o777).toBe(0o644);

    const { env, shown } = await removalAnswered("approve");
    const removed = await install(["claude-code", "--uninstall"], env);
    expect(removed).toMatchObject({ code: 0, stderr: "" });
    expect(shown.map((challenge) => challenge.action)).toEqual([
      {
        summary: `Remove hitl's Claude Code hook from ${CLAUDE_USER()}`,
        details: { file: CLAUDE_USER(), effect: "Claude Code then runs every tool call without asking hitl or its policy." },
      },
    ]);
    expect(removed.stdout).toBe(`hitl's Claude Code hook was removed from ${CLAUDE_USER()}; everything else in it is as it was.\n`);
    expect(readFileSync(CLAUDE_USER(), "utf8")).toBe(THEIRS_TEXT);
    expect(statSync(CLAUDE_USER()).mode & 0o777).toBe(0o644);
    const again = await install(["claude-code", "--uninstall"], env);
    expect(shown).toHaveLength(1); // nothing to remove: nobody is asked
    expect(again.stdout).toBe(`hitl's Claude Code hook is not in ${CLAUDE_USER()}; nothing to remove.\n`);
  });

  it("an outdated entry (another hitl path, moved into someone's group) is replaced, the other hook in that group kept", async () => {
    const stale = { type: "command", command: `'/old/node' '/old/hitl/dist/bin.js' hook claude-code; exit "$s" #hitl-hook`, timeout: 600 };
    const other = { type: "command", command: "/usr/local/bin/audit.sh" };
    mkdirSync(join(home, ".claude"));
    writeFileSync(CLAUDE_USER(), JSON.stringify({ hooks: { PreToolUse: [{ matcher: "*", hooks: [other, stale] }] } }));
    const run = await install(["claude-code"]);
    expect(run.stdout).toBe(`hitl's Claude Code hook was updated (hook timeout 3660 s): ${CLAUDE_USER()}\n`);
    expect(read(CLAUDE_USER())).toEqual({
      hooks: {
        PreToolUse: [
          { matcher: "*", hooks: [other] },
          { matcher: "*", hooks: [ourEntry("claude-code")] },
        ],
      },
    });
    expect((await install(["claude-code", "--uninstall"], (await removalAnswered("approve")).env)).code).toBe(0);
    expect(read(CLAUDE_USER())).toEqual({ hooks: { PreToolUse: [{ matcher: "*", hooks: [other] }] } });
  });

  it.each([
    ["a comment", '{\n  // mine\n  "model": "opus"\n}\n', /is not valid JSON \(.+\)/],
    ["a duplicate member", '{"hooks": {}, "hooks": {"PreToolUse": []}}', /repeats the member name "hooks" in one object/],
    ["hooks not an object", '{"hooks": []}', /has a "hooks" member that is not an object/],
    ["PreToolUse not an array", '{"hooks": {"PreToolUse": {}}}', /has a "hooks\.PreToolUse" member that is not an array/],
    ["not an object", "[]", /is not a JSON object/],
  ])("a settings file with %s is refused and left untouched (install and uninstall)", async (_name, text, problem) => {
    mkdirSync(join(home, ".claude"));
    writeFileSync(CLAUDE_USER(), text);
    for (const args of [["claude-code"], ["claude-code", "--uninstall"]]) {
      const run = await install(args);
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(
          `^hitl: ERR_AGENT_SETTINGS_INVALID: ${CLAUDE_USER().replaceAll("/", "\\/")} ${problem.source}\\. hitl did not change it\\. Fix the file \\(or move it away\\), then run the command again\\.\\n$`,
        ),
      );
      expect(readFileSync(CLAUDE_USER(), "utf8")).toBe(text);
    }
  });

  it("--uninstall takes a click: denied -> exit 1, no host -> exit 3, the hook stays and the message says how to remove it by hand", async () => {
    expect((await install(["claude-code"])).code).toBe(0);
    const installed = readFileSync(CLAUDE_USER(), "utf8");
    const byHand = `Nothing was removed. To remove it without hitl, edit ${CLAUDE_USER()} yourself and delete the hook whose command ends in "#hitl-hook".`;

    const denied = await install(["claude-code", "--uninstall"], (await removalAnswered("deny")).env);
    expect(denied).toMatchObject({ code: 1, stdout: "", stderr: `hitl: ERR_DENIED: alice denied removing the hook. ${byHand}\n` });
    expect(readFileSync(CLAUDE_USER(), "utf8")).toBe(installed);

    const noHost = await install(["claude-code", "--uninstall"], { HITL_PORT: String(await freePort()) });
    expect(noHost.code).toBe(3);
    expect(noHost.stderr).toMatch(new RegExp(`^hitl: ERR_HOST_UNREACHABLE: .+ ${byHand.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\n$`, "s"));
    expect(readFileSync(CLAUDE_USER(), "utf8")).toBe(installed);
  });

  it("a symlinked settings file (dotfile managers) stays a link; its target gets the hook", async () => {
    mkdirSync(join(home, "dotfiles"));
    mkdirSync(join(home, ".claude"));
    writeFileSync(join(home, "dotfiles/claude.json"), THEIRS_TEXT);
    symlinkSync(join(home, "dotfiles/claude.json"), CLAUDE_USER());
    const run = await install(["claude-code"]);
    expect(run.stdout).toBe(`hitl now gates every Claude Code tool call (hook timeout 3660 s): ${join(home, "dotfiles/claude.json")}\n`);
    expect(lstatSync(CLAUDE_USER()).isSymbolicLink()).toBe(true);
    expect(read(join(home, "dotfiles/claude.json")).hooks).toMatchObject({ PreToolUse: [THEIRS.hooks.PreToolUse[0], { matcher: "*" }] });
  });

  it("--project writes .claude/settings.json in the current directory", async () => {
    const run = await install(["claude-code", "--project"]);
    expect(run.code).toBe(0);
    expect(read(join(project, ".claude/settings.json"))).toEqual({
      hooks: { PreToolUse: [{ matcher: "*", hooks: [ourEntry("claude-code")] }] },
    });
  });

  it("usage errors exit 3 and touch nothing", async () => {
    for (const [args, message] of [
      [[], "'hitl hook install' takes one agent: claude-code, codex, gemini. Run 'hitl hook --help'."],
      [["cursor"], "'hitl hook install' takes one agent: claude-code, codex, gemini. Run 'hitl hook --help'."],
      [["claude-code", "--project", "--user"], "Give --project or --user, not both."],
    ] as const) {
      const run = await install([...args]);
      expect(run).toMatchObject({ code: 3, stdout: "", stderr: `hitl: ERR_USAGE: ${message}\n` });
    }
    expect(() => statSync(join(home, ".claude"))).toThrow();
  });
});

describe("hitl hook install codex | gemini", () => {
  it("codex: $CODEX_HOME/hooks.json, PreToolUse, timeout in seconds", async () => {
    const codexHome = join(dirs.root, "codex-home");
    const run = await install(["codex"], { CODEX_HOME: codexHome });
    expect(run.stdout).toBe(`hitl now gates every Codex CLI tool call (hook timeout 3660 s): ${join(codexHome, "hooks.json")}\n`);
    expect(read(join(codexHome, "hooks.json"))).toEqual({ hooks: { PreToolUse: [{ matcher: "*", hooks: [ourEntry("codex")] }] } });
    expect((await install(["codex", "--uninstall"], { CODEX_HOME: codexHome, ...(await removalAnswered("approve")).env })).code).toBe(0);
    expect(read(join(codexHome, "hooks.json"))).toEqual({});
  });

  it("gemini: ~/.gemini/settings.json, BeforeTool, a regex matching every tool, timeout in milliseconds, other settings kept", async () => {
    mkdirSync(join(home, ".gemini"));
    const theirs = { theme: "GitHub", mcpServers: { github: { command: "github-mcp" } } };
    writeFileSync(join(home, ".gemini/settings.json"), `${JSON.stringify(theirs, null, 2)}\n`);
    const run = await install(["gemini"]);
    expect(run.stdout).toBe(
      `hitl now gates every Gemini CLI tool call (hook timeout 3660000 ms): ${join(home, ".gemini/settings.json")}\n`,
    );
    expect(read(join(home, ".gemini/settings.json"))).toEqual({
      ...theirs,
      hooks: { BeforeTool: [{ matcher: ".*", hooks: [ourEntry("gemini")] }] },
    });
    expect((await install(["gemini", "--uninstall"], (await removalAnswered("approve")).env)).code).toBe(0);
    expect(readFileSync(join(home, ".gemini/settings.json"), "utf8")).toBe(`${JSON.stringify(theirs, null, 2)}\n`);
  });
});

/** Run an installed command line the way the agents do: through sh, the tool call on stdin. */
const runThroughShellWith = (command: string, stdin: string, env: Record<string, string>) =>
  runThroughShell(command, stdin, { env: { PATH: process.env.PATH ?? "", ...env } });

describe("the installed command line, run through sh as the agent runs it", () => {
  it("allows an allowed call, blocks a gated one it cannot ask about, with the exact exit codes", async () => {
    await install(["claude-code"]);
    const entry = (read(CLAUDE_USER()).hooks as { PreToolUse: { hooks: { command: string }[] }[] }).PreToolUse[0]!.hooks[0]!;
    const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
    const allowed = await runThroughShellWith(entry.command, hookFixture("claude-code", "bash-allowed").text, env);
    expect(allowed).toEqual({ code: 0, stdout: "", stderr: "" });
    const gated = await runThroughShellWith(entry.command, hookFixture("claude-code", "bash").text, { ...env, HITL_SECURE: "1" });
    expect(readHookOutput("claude-code", gated)).toMatchObject({
      effect: "block",
      reason: expect.stringContaining("ERR_HOST_UNREACHABLE"),
    });
  });

  it.each(["claude-code", "codex", "gemini"] as const)(
    "%s: a hitl that is gone (exit 1 from node) still blocks: exit 2 with a reason",
    async (agent) => {
      const command = hookCommand(NODE, join(dirs.root, "deleted/dist/bin.js"), agent);
      const run = await runThroughShellWith(command, hookFixture(agent, agent === "gemini" ? "run-shell-command" : "bash").text, dirs.env);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/Cannot find module/);
      expect(
        run.stderr.endsWith(
          `hitl: the hook failed (exit 1), so the call is blocked; run 'hitl doctor' and 'hitl hook install ${agent}'.\n`,
        ),
      ).toBe(true);
    },
  );

  it("a node that is gone (exit 127 from sh) still blocks", async () => {
    const run = await runThroughShellWith(
      hookCommand(join(dirs.root, "no-node"), HITL, "codex"),
      hookFixture("codex", "bash").text,
      dirs.env,
    );
    expect(run.code).toBe(2);
    expect(
      run.stderr.endsWith("hitl: the hook failed (exit 127), so the call is blocked; run 'hitl doctor' and 'hitl hook install codex'.\n"),
    ).toBe(true);
  });
});
