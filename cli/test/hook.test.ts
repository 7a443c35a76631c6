import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { addApprover, type Challenge, type HostToExtension, intentDigest, type JsonValue } from "@hitl/verifier";
import { signReceipt } from "@hitl/verifier/testing";
import { describe, expect, it } from "vitest";
import { runHook } from "../src/hooks/run-hook.js";
import { type Agent, type HookRun, hookFixture, readHookOutput } from "./helpers/hook-contracts.js";
import { freePort, startPeerHost } from "./helpers/peer-host.js";
import { approverFixture, startedFixture, startRealHost } from "./helpers/real-host.js";
import { BIN, runCliWithInput, startCli } from "./helpers/run-cli.js";

/*
 * `hitl hook <agent>` as the agents run it: the built binary, the agent's JSON on stdin, the
 * real signing host (this test plays the extension on its native-messaging stdio and signs with
 * a real Ed25519 key), the real verifier and replay store. Every answer is read through the
 * agent's documented contract (helpers/hook-contracts.ts), which also fails on any exit code that
 * the agent would treat as a non-blocking error.
 */

const fx = approverFixture({ paired: false });
const started = startedFixture();

/** The real host, with the test extension answering every window with `decision` ("none": never). */
async function hostDeciding(decision: "approve" | "deny" | "none", options: { paired?: boolean } = {}) {
  if (options.paired !== false) await addApprover(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`, fx.alice.record);
  const shown: Challenge[] = [];
  const withdrawn: string[] = [];
  const port = await freePort();
  const env = { ...fx.dirs.env, HITL_PORT: String(port) };
  started.host = await startRealHost({
    env,
    status: fx.status(),
    onMessage(message: HostToExtension, real) {
      if (message.type === "sign.request") {
        shown.push(message.challenge);
        if (decision !== "none") {
          real.send({ type: "sign.result", requestId: message.requestId, receipt: signReceipt(message.challenge, fx.alice, { decision }) });
        }
      }
      if (message.type === "request.withdraw") withdrawn.push(message.requestId);
    },
  });
  return { env, shown, withdrawn };
}

function hook(agent: Agent, stdin: string | Buffer, env: Record<string, string>): Promise<HookRun> {
  return runCliWithInput(["hook", agent], env, stdin as string);
}

const SECURE = { HITL_SECURE: "1" };

describe("Claude Code: one fixture per documented tool input shape, asked (HITL_SECURE=1) and approved", () => {
  const cases: [string, string][] = [
    ["bash", "Claude Code wants to run, in /home/dev/app:\nrm -rf build"],
    ["write", "Claude Code wants to change (Write): /home/dev/app/src/greeting.ts"],
    ["edit", "Claude Code wants to change (Edit): /home/dev/app/src/greeting.ts"],
    ["multi-edit", "Claude Code wants to change (MultiEdit): /home/dev/app/src/greeting.ts"],
    ["notebook-edit", "Claude Code wants to change (NotebookEdit): /home/dev/app/analysis.ipynb"],
    ["web-fetch", "Claude Code wants to fetch (WebFetch): https://example.com/docs/install"],
    ["mcp", 'Claude Code wants to call the MCP tool "create_issue" of server "github"'],
  ];
  it.each(cases)(
    "%s: the window shows the call exactly, the approval is bound to it, the answer is the documented allow",
    async (name, summary) => {
      const fixture = hookFixture("claude-code", name);
      const { env, shown } = await hostDeciding("approve");
      const run = await hook("claude-code", fixture.text, { ...env, ...SECURE });
      expect(readHookOutput("claude-code", run)).toEqual({ effect: "allow", reason: "Approved in hitl by alice (signature verified)." });
      expect(run.stderr).toBe("");
      expect(shown).toHaveLength(1);
      const challenge = shown[0] as Challenge;
      expect(challenge.action.summary).toBe(summary);
      expect(challenge.action.details).toEqual({
        agent: "Claude Code",
        tool: fixture.json.tool_name,
        cwd: "/home/dev/app",
        input: fixture.json.tool_input,
        why: expect.stringMatching(/\(rule (secure|builtin:[a-z-]+)\)/), // the policy's reason, naming its rule
      });
      // The receipt binds {agent, tool, cwd, input}: exactly the call the agent will make.
      expect(challenge.intent).toBe(
        intentDigest({
          agent: "claude-code",
          tool: fixture.json.tool_name,
          cwd: "/home/dev/app",
          input: fixture.json.tool_input,
        } as JsonValue),
      );
      expect(challenge.requester).toMatchObject({ tool: "hitl hook claude-code", cwd: "/home/dev/app", host: hostname() });
      expect(challenge.aud).toBe("hitl-cli");
      expect(challenge.exp - challenge.iat).toBe(120);
    },
  );
});

describe("Codex CLI and Gemini CLI fixtures, asked and approved", () => {
  const cases: [Agent, string, string, "allow" | "no-decision"][] = [
    ["codex", "bash", "Codex CLI wants to run, in /home/dev/app:\nrm -rf build", "no-decision"],
    ["codex", "apply-patch", "Codex CLI wants to change (apply_patch): /home/dev/app/src/greeting.ts", "no-decision"],
    ["codex", "mcp", 'Codex CLI wants to call the MCP tool "create_issue" of server "github"', "no-decision"],
    ["gemini", "run-shell-command", "Gemini CLI wants to run, in /home/dev/app:\nrm -rf build", "allow"],
    ["gemini", "write-file", "Gemini CLI wants to change (write_file): /home/dev/app/src/greeting.ts", "allow"],
    ["gemini", "replace", "Gemini CLI wants to change (replace): /home/dev/app/src/greeting.ts", "allow"],
    ["gemini", "web-fetch", "Gemini CLI wants to fetch (web_fetch): https://example.com/docs/install", "allow"],
    ["gemini", "mcp", 'Gemini CLI wants to call the MCP tool "create_issue" of server "github"', "allow"],
  ];
  it.each(cases)("%s %s", async (agent, name, summary, effect) => {
    const fixture = hookFixture(agent, name);
    const { env, shown } = await hostDeciding("approve");
    const run = await hook(agent, fixture.text, { ...env, ...SECURE });
    expect(readHookOutput(agent, run).effect).toBe(effect);
    expect(shown.map((challenge) => challenge.action.summary)).toEqual([summary]);
    expect((shown[0]!.action.details as Record<string, unknown>).input).toEqual(fixture.json.tool_input);
  });
});

describe("every way a gated call can end without an approval blocks, with a reason for the model", () => {
  const agents: Agent[] = ["claude-code", "codex", "gemini"];
  const fixtureOf = (agent: Agent) => hookFixture(agent, agent === "gemini" ? "run-shell-command" : "bash").text;

  it.each(agents)("%s: Deny in the window -> blocked, ERR_DENIED signed by the approver", async (agent) => {
    const { env } = await hostDeciding("deny");
    const run = await hook(agent, fixtureOf(agent), { ...env, ...SECURE });
    expect(readHookOutput(agent, run)).toEqual({
      effect: "block",
      reason:
        "hitl: the human denied this call in the approval window (ERR_DENIED, signed by alice). Do not retry it; ask the user how to proceed.",
    });
  });

  it.each(agents)("%s: nobody decides (the host answers 408 at expiry) -> blocked, ERR_TIMEOUT", async (agent) => {
    await addApprover(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`, fx.alice.record);
    started.peer = await startPeerHost(
      () => ({ status: 408, body: { error: { code: "ERR_TIMEOUT", message: "Nobody decided in time." } } }),
      {
        secretFile: fx.dirs.secretFile,
      },
    );
    const run = await hook(agent, fixtureOf(agent), { ...fx.dirs.env, HITL_PORT: String(started.peer.port), ...SECURE });
    expect(readHookOutput(agent, run)).toEqual({
      effect: "block",
      reason: expect.stringMatching(
        /^hitl: nobody approved this call within 120 s \(ERR_TIMEOUT\), so it is blocked\. It needs approval because: rm -r .*\(rule builtin:destructive-rm\).*\. Ask the user to watch for the approval window in their browser, then retry\.$/,
      ),
    });
  });

  it.each(agents)("%s: no signing host -> blocked, ERR_HOST_UNREACHABLE, at once", async (agent) => {
    await addApprover(`${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`, fx.alice.record);
    const run = await runCliWithInput(
      ["hook", agent],
      { ...fx.dirs.env, HITL_PORT: String(await freePort()), ...SECURE },
      fixtureOf(agent),
    );
    const reading = readHookOutput(agent, run);
    expect(reading.effect).toBe("block");
    expect(reading).toMatchObject({
      reason: expect.stringMatching(
        /^hitl could not ask the human to approve this call, so it is blocked: ERR_HOST_UNREACHABLE: .+ Tell the user; retry once it is fixed\.$/s,
      ),
    });
    expect(run.ms).toBeLessThan(5000);
  });

  it.each(agents)("%s: not paired -> blocked, ERR_NOT_PAIRED, no window", async (agent) => {
    const { env, shown } = await hostDeciding("approve", { paired: false });
    const run = await hook(agent, fixtureOf(agent), { ...env, ...SECURE });
    const reading = readHookOutput(agent, run);
    expect(reading).toMatchObject({ effect: "block", reason: expect.stringContaining("so it is blocked: ERR_NOT_PAIRED: ") });
    expect(shown).toEqual([]);
  });

  it("the agent stops the hook while the window is open (SIGTERM) -> withdrawn, blocked, the window is told to close", async () => {
    const { env, shown, withdrawn } = await hostDeciding("none");
    const cli = startCli(["hook", "claude-code"], { ...env, ...SECURE }, { stdin: "pipe" });
    cli.child.stdin?.end(hookFixture("claude-code", "bash").text);
    await expect.poll(() => shown.length, { timeout: 10_000 }).toBe(1);
    cli.child.kill("SIGTERM");
    const run = await cli.done;
    expect(readHookOutput("claude-code", run)).toEqual({
      effect: "block",
      reason: "hitl: the approval request was withdrawn before anyone decided (ERR_WITHDRAWN); the call is blocked.",
    });
    await expect.poll(() => withdrawn.length, { timeout: 5000 }).toBe(1);
  });
});

describe("input hitl cannot read is blocked before anyone is asked", () => {
  const bash = hookFixture("claude-code", "bash").json;
  const cases: [string, string | Buffer, string][] = [
    ["not JSON", "rm -rf build", "ERR_MALFORMED: The hook input is not valid JSON."],
    ["empty stdin", "", "ERR_MALFORMED: The hook got no input on stdin; an agent always sends the tool call as JSON."],
    [
      "a duplicate member (one reader runs the first command, another the last)",
      JSON.stringify(bash).replace('"command":"rm -rf build"', '"command":"ls","command":"rm -rf build"'),
      'ERR_MALFORMED: The hook input repeats the member name "command"; duplicate names are ambiguous and refused.',
    ],
    [
      "another event than the one installed",
      JSON.stringify({ ...bash, hook_event_name: "PostToolUse" }),
      `ERR_MALFORMED: The hook input is for the event "PostToolUse", not PreToolUse; install hitl with 'hitl hook install' so it runs on PreToolUse.`,
    ],
    [
      "tool_input not an object",
      JSON.stringify({ ...bash, tool_input: "rm -rf build" }),
      "ERR_MALFORMED: The hook input's tool_input is not a JSON object.",
    ],
    ["a relative cwd", JSON.stringify({ ...bash, cwd: "app" }), "ERR_MALFORMED: The hook input's cwd is not an absolute path."],
    [
      "invalid UTF-8",
      Buffer.concat([Buffer.from(JSON.stringify(bash).slice(0, -1)), Buffer.from([0xff]), Buffer.from("}")]),
      "ERR_INVALID_ENCODING: The hook input is not valid UTF-8; it was corrupted or is not hitl JSON.",
    ],
  ];
  it.each(cases)("%s", async (_name, stdin, problem) => {
    const { env, shown } = await hostDeciding("approve");
    const run = await hook("claude-code", stdin, env);
    expect(readHookOutput("claude-code", run)).toEqual({
      effect: "block",
      reason: `hitl blocked this call: ${problem} A call hitl cannot read is never let through; tell the user (run 'hitl hook install claude-code' again if hitl was updated).`,
    });
    expect(shown).toEqual([]);
  });

  it("an unreadable stdin (a directory) -> blocked", async () => {
    mkdirSync(`${fx.dirs.root}/not-a-pipe`);
    const fd = openSync(`${fx.dirs.root}/not-a-pipe`, "r");
    const child = spawn(process.execPath, [BIN, "hook", "codex"], {
      env: { PATH: process.env.PATH ?? "", ...fx.dirs.env },
      stdio: [fd, "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    closeSync(fd);
    expect(readHookOutput("codex", { code, stdout, stderr })).toEqual({
      effect: "block",
      reason:
        "hitl blocked this call: ERR_MALFORMED: The hook could not read its input: EISDIR: illegal operation on a directory, read A call hitl cannot read is never let through; tell the user (run 'hitl hook install codex' again if hitl was updated).",
    });
  });

  it("a stray argument or an unknown agent -> exit 2 (never the 1 or 3 that agents let through)", async () => {
    const extra = await runCliWithInput(["hook", "claude-code", "--verbose"], fx.dirs.env, hookFixture("claude-code", "bash").text);
    expect(readHookOutput("claude-code", extra)).toEqual({
      effect: "block",
      reason: `hitl: ERR_USAGE: 'hitl hook claude-code' takes no arguments, got "--verbose"; the call is blocked. Run 'hitl hook install claude-code' to fix the hook command.`,
    });
    const unknown = await runCliWithInput(["hook", "claude"], fx.dirs.env, hookFixture("claude-code", "bash").text);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      `hitl: ERR_USAGE: 'hitl hook' needs the agent (claude-code, codex, gemini), got "claude"; the call is blocked. Fix the hook command (run 'hitl hook install <agent>').\n`,
    );
  });
});

describe("a crash anywhere still blocks (runHook in process, with a policy that throws)", () => {
  const stdin = Buffer.from(hookFixture("claude-code", "bash").text);
  const stdinOf = (agent: Agent) => Buffer.from(hookFixture(agent, agent === "gemini" ? "run-shell-command" : "bash").text);
  it.each([
    [
      "decide throws",
      { loadPolicy: async () => ({ file: "/p", problem: undefined }), decide: () => Promise.reject(new TypeError("boom")) },
    ],
    ["loadPolicy throws", { loadPolicy: () => Promise.reject(new RangeError("no policy")), decide: async () => ({}) as never }],
  ] as const)("%s", async (_name, policy) => {
    for (const agent of ["claude-code", "codex", "gemini"] as const) {
      const result = await runHook(agent, stdinOf(agent), { env: fx.dirs.env, policy: policy as never });
      const reading = readHookOutput(agent, { code: result.exitCode, stdout: result.stdout, stderr: result.stderr });
      expect(reading).toMatchObject({
        effect: "block",
        reason: expect.stringMatching(
          /^hitl blocked this call because the hook failed: ERR_INTERNAL: (boom|no policy) A failing hook never lets a call through/,
        ),
      });
    }
  });

  it("requestApproval throws -> blocked", async () => {
    const policy = {
      loadPolicy: async () => ({ file: "/p", problem: undefined }),
      decide: async () => ({ decision: "ask" as const, rule: "r", reason: "why", timeoutSeconds: undefined, audience: undefined }),
    };
    const result = await runHook("claude-code", stdin, {
      env: fx.dirs.env,
      policy,
      requestApproval: () => Promise.reject(new Error("sdk bug")),
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "hitl blocked this call because the hook failed: ERR_INTERNAL: sdk bug A failing hook never lets a call through; tell the user (this is a bug in hitl or its policy).\n",
    );
  });

  it("per-rule timeout and audience reach the challenge; a shape hitl does not know is asked even when the policy allows", async () => {
    const asked: unknown[] = [];
    const policy = {
      loadPolicy: async () => ({ file: "/p", problem: undefined }),
      decide: async () => ({ decision: "allow" as const, rule: "r", reason: "fine", timeoutSeconds: 30, audience: "deploy-bot" }),
    };
    const odd = Buffer.from(
      JSON.stringify({ ...hookFixture("claude-code", "write").json, tool_input: { path: "/etc/passwd", content: "x" } }),
    );
    const result = await runHook("claude-code", odd, {
      env: fx.dirs.env,
      policy,
      requestApproval: async (options) => {
        asked.push(options);
        return { decision: "timeout", code: "ERR_TIMEOUT", message: "late" };
      },
    });
    expect(asked).toMatchObject([
      { timeoutSeconds: 30, aud: "deploy-bot", action: { summary: "Claude Code wants to use the tool Write" } },
    ]);
    expect(result.stderr).toContain(
      "It needs approval because: hitl does not recognise this Write input (its file path is missing or not a string), so it asks (rule hook:unrecognised-input).",
    );
  });
});

describe("policy", () => {
  it("an allowed call (git status) exits 0 with no output and never contacts the host", async () => {
    for (const agent of ["claude-code", "codex", "gemini"] as const) {
      const fixture = hookFixture(agent, agent === "gemini" ? "run-shell-command-allowed" : "bash-allowed");
      const run = await hook(agent, fixture.text, { ...fx.dirs.env, HITL_PORT: String(await freePort()) });
      expect(run).toMatchObject({ code: 0, stdout: "", stderr: "" });
      expect(readHookOutput(agent, run)).toEqual({ effect: "no-decision" });
    }
  });

  it("a malformed policy asks for everything, naming the file: git status is then asked, and Deny blocks it", async () => {
    writeFileSync(`${fx.dirs.env.HITL_CONFIG_DIR}/policy.json`, '{"rules": [\n  {"match": \n');
    const { env, shown } = await hostDeciding("deny");
    const run = await hook("claude-code", hookFixture("claude-code", "bash-allowed").text, env);
    expect(readHookOutput("claude-code", run).effect).toBe("block");
    expect(shown).toHaveLength(1);
    expect(String((shown[0]!.action.details as Record<string, unknown>).why)).toContain(`${fx.dirs.env.HITL_CONFIG_DIR}/policy.json`);
  });
});
