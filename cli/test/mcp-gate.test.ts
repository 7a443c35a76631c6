import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { addApprover, type ExtensionStatus, type HostToExtension, intentDigest } from "@hitl/verifier";
import { makeApprover, signReceipt, type TestApprover } from "@hitl/verifier/testing";
import { ListRootsRequestSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectMcp, type McpSession, rawMcp } from "./helpers/mcp-client.js";
import { freePort } from "./helpers/peer-host.js";
import { type RealHost, startRealHost } from "./helpers/real-host.js";
import { BIN, isolatedDirs } from "./helpers/run-cli.js";

/*
 * `hitl mcp-gate` as a real process in front of real MCP servers: a small one written with the
 * SDK (fixtures/mcp-upstream.mjs, which logs every call it receives) and the published reference
 * filesystem server. The client is the SDK's own Client over StdioClientTransport; approvals go
 * through the real signing host, with this test playing the extension and signing with a real key.
 */

const UPSTREAM = resolve(fileURLToPath(new URL("fixtures/mcp-upstream.mjs", import.meta.url)));
const FILESYSTEM = resolve(
  fileURLToPath(new URL("../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", import.meta.url)),
);

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let alice: TestApprover;
let host: RealHost | undefined;
let sessions: McpSession[] = [];
let log: string;

beforeEach(async () => {
  dirs = await isolatedDirs();
  alice = makeApprover("alice");
  log = join(dirs.root, "upstream.log");
});

afterEach(async () => {
  for (const session of sessions) await session.close();
  sessions = [];
  await host?.stop();
  host = undefined;
  await dirs.cleanup();
});

type SignRequest = Extract<HostToExtension, { type: "sign.request" }>;

function status(): ExtensionStatus {
  return { keyPresent: true, kid: alice.kid, subject: alice.sub, keyPolicy: "persistent", pending: 0 };
}

/** The real host, alice paired; `decide` answers each window (undefined: leave it open). */
async function pairedHost(decide: (request: SignRequest) => "approve" | "deny" | undefined): Promise<Record<string, string>> {
  await addApprover(`${dirs.env.HITL_CONFIG_DIR}/approvers.json`, alice.record);
  const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
  host = await startRealHost({
    env,
    status: status(),
    onMessage(message: HostToExtension, peer) {
      if (message.type !== "sign.request") return;
      const decision = decide(message);
      if (decision !== undefined) {
        peer.send({ type: "sign.result", requestId: message.requestId, receipt: signReceipt(message.challenge, alice, { decision }) });
      }
    },
  });
  return env;
}

function windows(): SignRequest[] {
  return (host?.received ?? []).filter((m): m is SignRequest => m.type === "sign.request");
}

async function connect(args: string[], env: Record<string, string>, options: Parameters<typeof connectMcp>[2] = {}): Promise<McpSession> {
  const session = await connectMcp(args, env, options);
  sessions.push(session);
  return session;
}

function gate(env: Record<string, string>, extra: string[] = [], options: Parameters<typeof connectMcp>[2] = {}): Promise<McpSession> {
  return connect(["mcp-gate", ...extra, "--", process.execPath, UPSTREAM, log], env, options);
}

function upstreamCalls(): { tool: string; arguments?: Record<string, unknown>; cancelled?: boolean }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}

function text(result: object): string {
  return ((result as { content?: { text: string }[] }).content ?? [])[0]?.text ?? "";
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("hitl mcp-gate in front of an SDK server", () => {
  it("tools/list is identical through the gate and direct", async () => {
    const direct = await connect([UPSTREAM, log], dirs.env, { command: process.execPath });
    const gated = await gate(dirs.env);
    expect(await gated.client.listTools()).toEqual(await direct.client.listTools());
    expect(gated.client.getServerVersion()).toEqual({ name: "test-upstream", version: "1.0.0" });
  });

  it("a readOnlyHint tool passes without asking (the gate lists the tools itself when the client never did)", async () => {
    const env = await pairedHost(() => "deny");
    const session = await gate(env);
    const result = await session.client.callTool({ name: "read_note", arguments: { name: "a" } });
    expect(result).toEqual({ content: [{ type: "text", text: "note a" }] });
    expect(windows()).toEqual([]);
    expect(upstreamCalls()).toEqual([{ tool: "read_note", arguments: { name: "a" } }]);
  });

  it("approved in the window -> forwarded; the window shows server, command, tool and arguments, and the intent binds them", async () => {
    const env = await pairedHost(() => "approve");
    const session = await gate(env);
    await session.client.listTools();
    const result = await session.client.callTool({ name: "write_note", arguments: { name: "a", text: "hello" } });
    expect(result).toEqual({ content: [{ type: "text", text: "wrote a" }] });
    expect(upstreamCalls()).toEqual([{ tool: "write_note", arguments: { name: "a", text: "hello" } }]);
    const [shown] = windows();
    const command = [process.execPath, UPSTREAM, log];
    expect(shown?.challenge.action).toEqual({
      summary: 'Call the MCP tool "write_note" of the server "test-upstream"',
      details: { server: "test-upstream", command, tool: "write_note", arguments: { name: "a", text: "hello" } },
    });
    expect(shown?.challenge.intent).toBe(
      intentDigest({
        mcp: "tools/call",
        server: { name: "test-upstream", command },
        tool: "write_note",
        arguments: { name: "a", text: "hello" },
      }),
    );
    expect(shown?.challenge.requester.tool).toBe("hitl mcp-gate");
  });

  it("denied in the window -> a tool error result, and the upstream never sees the call", async () => {
    const env = await pairedHost(() => "deny");
    const session = await gate(env, ["--name", "notes"]);
    const result = await session.client.callTool({ name: "write_note", arguments: { name: "a", text: "hello" } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(
      /^hitl mcp-gate: ERR_DENIED: alice \(key [0-9a-f ]{19}\) denied this call \(signature verified\)\. Do not retry it unchanged; ask the human what to do instead\. The server "notes" did not receive the call to tool "write_note"\.$/,
    );
    expect(windows()[0]?.challenge.action.summary).toBe('Call the MCP tool "write_note" of the server "notes"');
    expect(upstreamCalls()).toEqual([]);
  });

  it("no decision in time -> ERR_TIMEOUT tool error, not forwarded", async () => {
    const env = await pairedHost(() => undefined);
    const session = await gate(env, ["--timeout", "2"]);
    const result = await session.client.callTool({ name: "write_note", arguments: { name: "a", text: "x" } });
    expect(result.isError).toBe(true);
    expect(text(result)).toBe(
      'hitl mcp-gate: ERR_TIMEOUT: Nobody approved this call within 2 s. Ask the human before trying it again. The server "test-upstream" did not receive the call to tool "write_note".',
    );
    expect(upstreamCalls()).toEqual([]);
  });

  it("signing host not running -> ERR_HOST_UNREACHABLE tool error, not forwarded; read-only calls still pass", async () => {
    await addApprover(`${dirs.env.HITL_CONFIG_DIR}/approvers.json`, alice.record);
    const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
    const session = await gate(env);
    const result = await session.client.callTool({ name: "write_note", arguments: { name: "a", text: "x" } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(
      /^hitl mcp-gate: ERR_HOST_UNREACHABLE: .+ The server "test-upstream" did not receive the call to tool "write_note"\.$/,
    );
    expect((await session.client.callTool({ name: "read_note", arguments: { name: "b" } })).isError).toBeUndefined();
    expect(upstreamCalls()).toEqual([{ tool: "read_note", arguments: { name: "b" } }]);
  });

  it("notifications/tools/list_changed: hints learned before are forgotten, so a tool no longer read-only is asked for", async () => {
    const env = await pairedHost(() => "deny");
    const session = await gate(env);
    await session.client.listTools();
    expect(await session.client.callTool({ name: "flip_note", arguments: {} })).toEqual({ content: [{ type: "text", text: "flipped" }] });
    expect(windows()).toEqual([]);
    const changed = new Promise<void>((resolveChange) => {
      session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolveChange());
    });
    await session.client.callTool({ name: "unflip_note", arguments: {} });
    await changed;
    const asked = await session.client.callTool({ name: "flip_note", arguments: {} });
    expect(text(asked)).toMatch(/^hitl mcp-gate: ERR_DENIED: /);
    expect(windows().length).toBe(1);
    expect(upstreamCalls()).toEqual([{ tool: "flip_note", arguments: {} }]);
  });

  it("arguments too large to show in the window -> ERR_TOO_LARGE, nobody asked, not forwarded", async () => {
    const env = await pairedHost(() => "approve");
    const session = await gate(env);
    const result = await session.client.callTool({ name: "write_note", arguments: { name: "big", text: "x".repeat(40_000) } });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(
      /^hitl mcp-gate: ERR_TOO_LARGE: .+ The server "test-upstream" did not receive the call to tool "write_note"\.$/,
    );
    expect(windows()).toEqual([]);
    expect(upstreamCalls()).toEqual([]);
  });

  it("concurrent calls each get their own window; other messages are not held up by a pending one", async () => {
    const env = await pairedHost((request) => {
      const args = (request.challenge.action.details as { arguments: { name: string } }).arguments;
      // "slow" stays open until "fast" was decided and a read-only call went through.
      return args.name === "fast" ? "deny" : undefined;
    });
    const session = await gate(env);
    const slow = session.client.callTool({ name: "write_note", arguments: { name: "slow", text: "1" } });
    await until(() => windows().length === 1, "the first window");
    const fast = await session.client.callTool({ name: "write_note", arguments: { name: "fast", text: "2" } });
    expect(text(fast)).toMatch(/ERR_DENIED/);
    expect(await session.client.callTool({ name: "read_note", arguments: { name: "c" } })).toEqual({
      content: [{ type: "text", text: "note c" }],
    });
    await session.client.ping();
    expect(windows().length).toBe(2);
    // Now approve the one still open.
    const open = windows()[0] as SignRequest;
    host?.send({ type: "sign.result", requestId: open.requestId, receipt: signReceipt(open.challenge, alice, { decision: "approve" }) });
    expect(await slow).toEqual({ content: [{ type: "text", text: "wrote slow" }] });
    expect(upstreamCalls().map((call) => call.arguments?.name)).toEqual(["c", "slow"]);
  });

  it("a cancelled call that waits for approval is withdrawn and never forwarded", async () => {
    const env = await pairedHost(() => undefined);
    const session = await gate(env);
    const cancel = new AbortController();
    const call = session.client.callTool({ name: "write_note", arguments: { name: "a", text: "x" } }, undefined, { signal: cancel.signal });
    await until(() => windows().length === 1, "the window");
    cancel.abort("changed my mind");
    await expect(call).rejects.toThrow("changed my mind");
    await until(() => host?.received.some((m) => m.type === "request.withdraw") === true, "the withdrawal");
    expect(host?.received).toContainEqual({ type: "request.withdraw", requestId: windows()[0]?.requestId });
    // The session goes on, and the withdrawn call never turns up at the upstream.
    expect((await session.client.callTool({ name: "read_note", arguments: { name: "after" } })).isError).toBeUndefined();
    expect(upstreamCalls()).toEqual([{ tool: "read_note", arguments: { name: "after" } }]);
  });

  it("progress notifications, cancellation of a forwarded call and a server->client request pass through", async () => {
    const env = await pairedHost(() => "deny");
    const session = await gate(env, [], { capabilities: { capabilities: { roots: { listChanged: false } } } });
    session.client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: "file:///work/here", name: "here" }] }));

    const progress: number[] = [];
    const progressed = await session.client.callTool({ name: "progress_note", arguments: {} }, undefined, {
      onprogress: (update) => progress.push(update.progress),
    });
    expect(progressed).toEqual({ content: [{ type: "text", text: "progressed" }] });
    expect(progress).toEqual([1, 2, 3]);

    const roots = await session.client.callTool({ name: "ask_roots", arguments: {} });
    expect(JSON.parse(text(roots))).toEqual([{ uri: "file:///work/here", name: "here" }]);

    const cancel = new AbortController();
    const slow = session.client.callTool({ name: "slow_note", arguments: { ms: 20_000 } }, undefined, { signal: cancel.signal });
    await until(() => upstreamCalls().some((call) => call.tool === "slow_note"), "the slow call upstream");
    cancel.abort("stop");
    await expect(slow).rejects.toThrow("stop");
    await until(() => upstreamCalls().some((call) => call.cancelled === true), "the upstream to see the cancellation");
    expect(windows()).toEqual([]);
  });

  it("the upstream exiting: a call waiting for approval gets an error, and the gate exits with the upstream's code", async () => {
    const env = await pairedHost(() => undefined);
    const { lines, exited, send, initialize } = rawMcp(["mcp-gate", "--", process.execPath, UPSTREAM, log], { HOME: dirs.root, ...env });
    initialize();
    await until(() => lines.length === 1, "initialize");
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: "w", method: "tools/call", params: { name: "write_note", arguments: { name: "a", text: "x" } } });
    await until(() => windows().length === 1, "the window");
    send({ jsonrpc: "2.0", id: "e", method: "tools/call", params: { name: "exit_now", arguments: { code: 5 } } });
    expect(await exited).toBe(5);
    expect(lines).toContainEqual({
      jsonrpc: "2.0",
      id: "w",
      result: {
        content: [
          {
            type: "text",
            text: "hitl mcp-gate: ERR_MCP_UPSTREAM_FAILED: the upstream server exited (code 5) before the call could be forwarded. Restart the MCP server.",
          },
        ],
        isError: true,
      },
    });
    expect(upstreamCalls().map((call) => call.tool)).toEqual([]);
  });

  it("refuses what it cannot judge: a batch, a repeated member name, a non-canonical number, non-JSON", async () => {
    const { child, lines, exited, send, initialize } = rawMcp(["mcp-gate", "--", process.execPath, UPSTREAM, log], {
      HOME: dirs.root,
      ...dirs.env,
    });
    initialize();
    await until(() => lines.length === 1, "initialize");
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    child.stdin.write(
      `[${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "write_note", arguments: { name: "a", text: "b" } } })}]\n`,
    );
    child.stdin.write(
      `{"jsonrpc":"2.0","id":2,"method":"tools/call","method":"ping","params":{"name":"write_note","arguments":{"name":"a","text":"b"}}}\n`,
    );
    child.stdin.write(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_note","arguments":{"name":"a","n":1.0}}}\n`);
    child.stdin.write("not json\n");
    await until(() => lines.length === 5, "four answers");
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(lines.slice(1)).toEqual([
      { jsonrpc: "2.0", id: 1, error: { code: -32600, message: "hitl mcp-gate: batches are not supported; send one message per line." } },
      {
        jsonrpc: "2.0",
        id: 2,
        error: { code: -32600, message: 'hitl mcp-gate: the message repeats the member name "method"; it was not forwarded.' },
      },
      {
        jsonrpc: "2.0",
        id: 3,
        result: {
          content: [
            {
              type: "text",
              text: 'hitl mcp-gate: ERR_MALFORMED: The tools/call message writes the number 1.0 in another form than canonical JSON\'s (1); write numbers as RFC 8785 does (no "1.0", "1e0", "-0", leading zeros or more digits than a double holds). The call was not forwarded; send it again in that form.',
            },
          ],
          isError: true,
        },
      },
      {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32700, message: "hitl mcp-gate: a message from the client is not JSON; it was not forwarded." },
      },
    ]);
    expect(upstreamCalls()).toEqual([]);
  });

  it("the client closing stdin stops an upstream that ignores it: SIGTERM, then SIGKILL", async () => {
    const pidFile = join(dirs.root, "stubborn.pid");
    const stubborn = `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); process.on("SIGTERM", () => {}); process.stdin.resume(); process.stdin.on("end", () => {}); setInterval(() => {}, 1000);`;
    const { child, exited } = rawMcp(["mcp-gate", "--", process.execPath, "-e", stubborn], { HOME: dirs.root, ...dirs.env });
    await until(() => existsSync(pidFile) && readFileSync(pidFile, "utf8") !== "", "the upstream to start");
    const pid = Number(readFileSync(pidFile, "utf8"));
    const started = Date.now();
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it("usage errors and an upstream that cannot start", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolveRun) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...dirs.env },
          stdio: ["pipe", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
        });
        child.on("exit", (code) => resolveRun({ code, stderr }));
      });
    expect(await run(["mcp-gate"])).toEqual({
      code: 3,
      stderr:
        "hitl: ERR_USAGE: name the MCP server to start after '--', e.g. hitl mcp-gate -- npx -y @modelcontextprotocol/server-filesystem /tmp/dir.\n",
    });
    expect(await run(["mcp-gate", "--nmae", "x", "--", "node"])).toMatchObject({
      code: 3,
      stderr: expect.stringMatching(/^hitl: ERR_USAGE: Unknown option '--nmae'.* Run 'hitl mcp-gate --help' for the options\.\n$/),
    });
    expect(await run(["mcp-gate", "--", join(dirs.root, "no-such-server")])).toEqual({
      code: 127,
      stderr: `hitl mcp-gate: ERR_MCP_UPSTREAM_FAILED: could not start ${JSON.stringify(join(dirs.root, "no-such-server"))} (spawn ${join(dirs.root, "no-such-server")} ENOENT). Check the command after '--'.\n`,
    });
  });
});

describe("hitl mcp-gate asks the shared policy (cli/src/policy, a ToolCall of kind mcp)", () => {
  function writePolicy(rules: unknown[]): string {
    const file = join(dirs.root, "policy.json");
    writeFileSync(file, JSON.stringify({ version: 1, rules }));
    return file;
  }

  it("a deny rule: ERR_POLICY_DENIED with the rule's reason, nobody asked, not forwarded", async () => {
    const env = await pairedHost(() => "approve");
    const policy = writePolicy([
      { id: "no-forbidden", decision: "deny", reason: "forbidden_op is never run here", when: { mcp: { tool: ["forbidden_*"] } } },
    ]);
    const session = await gate(env, ["--policy", policy]);
    const result = await session.client.callTool({ name: "forbidden_op", arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(
      /^hitl mcp-gate: ERR_POLICY_DENIED: .*forbidden_op is never run here.* The server "test-upstream" did not receive the call to tool "forbidden_op"; do not retry it\.$/,
    );
    expect(windows()).toEqual([]);
    expect(upstreamCalls()).toEqual([]);
  });

  it("an allow rule lets a write tool through unasked; a rule's timeout is the window's; an edit applies to the next call", async () => {
    const env = await pairedHost(() => undefined);
    const policy = writePolicy([{ id: "notes-ok", decision: "allow", when: { mcp: { server: ["test-upstream"], tool: ["write_note"] } } }]);
    const session = await gate(env, ["--policy", policy]);
    expect(await session.client.callTool({ name: "write_note", arguments: { name: "a", text: "x" } })).toEqual({
      content: [{ type: "text", text: "wrote a" }],
    });
    expect(windows()).toEqual([]);

    writeFileSync(
      policy,
      JSON.stringify({ version: 1, rules: [{ id: "notes-quick", decision: "ask", timeout: 2, when: { mcp: { tool: ["write_note"] } } }] }),
    );
    const asked = await session.client.callTool({ name: "write_note", arguments: { name: "b", text: "y" } });
    expect(text(asked)).toMatch(/^hitl mcp-gate: ERR_TIMEOUT: Nobody approved this call within 2 s\./);
    const shown = windows()[0];
    expect((shown?.challenge.exp ?? 0) - (shown?.challenge.iat ?? 0)).toBe(2);
    expect(upstreamCalls()).toEqual([{ tool: "write_note", arguments: { name: "a", text: "x" } }]);
  });

  it("a malformed policy asks for everything, read-only tools included", async () => {
    const env = await pairedHost(() => "deny");
    const policy = join(dirs.root, "policy.json");
    writeFileSync(policy, '{"version": 1, "rules": [');
    const session = await gate(env, ["--policy", policy]);
    const result = await session.client.callTool({ name: "read_note", arguments: { name: "a" } });
    expect(text(result)).toMatch(/^hitl mcp-gate: ERR_DENIED: /);
    expect(windows().length).toBe(1);
    expect(upstreamCalls()).toEqual([]);
  });
});

describe("hitl mcp-gate in front of the reference filesystem server (@modelcontextprotocol/server-filesystem)", () => {
  async function fsGate(env: Record<string, string>): Promise<{ session: McpSession; root: string }> {
    const root = join(dirs.root, "files");
    await mkdir(root, { recursive: true });
    writeFileSync(join(root, "readme.txt"), "hello from the filesystem\n");
    return { session: await connect(["mcp-gate", "--", process.execPath, FILESYSTEM, root], env), root };
  }

  it("tools/list is identical through the gate and direct", async () => {
    const { session, root } = await fsGate(dirs.env);
    const direct = await connect([FILESYSTEM, root], dirs.env, { command: process.execPath });
    const listed = await session.client.listTools();
    expect(listed).toEqual(await direct.client.listTools());
    // The upstream's stderr passes through the gate's.
    expect(session.stderr()).toContain("Secure MCP Filesystem Server running on stdio");
    expect(listed.tools.find((tool) => tool.name === "write_file")?.annotations?.readOnlyHint).toBe(false);
  });

  it("read_text_file (readOnlyHint) passes without asking", async () => {
    const env = await pairedHost(() => "deny");
    const { session, root } = await fsGate(env);
    const result = await session.client.callTool({ name: "read_text_file", arguments: { path: join(root, "readme.txt") } });
    expect(text(result)).toBe("hello from the filesystem\n");
    expect(windows()).toEqual([]);
  });

  it("write_file denied -> not written; approved -> written", async () => {
    let decision: "approve" | "deny" = "deny";
    const env = await pairedHost(() => decision);
    const { session, root } = await fsGate(env);
    const target = join(root, "new.txt");
    const denied = await session.client.callTool({ name: "write_file", arguments: { path: target, content: "written" } });
    expect(denied.isError).toBe(true);
    expect(text(denied)).toMatch(
      /^hitl mcp-gate: ERR_DENIED: alice .* The server "secure-filesystem-server" did not receive the call to tool "write_file"\.$/,
    );
    expect(existsSync(target)).toBe(false);

    decision = "approve";
    const approved = await session.client.callTool({ name: "write_file", arguments: { path: target, content: "written" } });
    expect(approved.isError).toBeFalsy();
    expect(await readFile(target, "utf8")).toBe("written");
    expect(windows().map((w) => (w.challenge.action.details as { arguments: unknown }).arguments)).toEqual([
      { path: target, content: "written" },
      { path: target, content: "written" },
    ]);
  });
});
