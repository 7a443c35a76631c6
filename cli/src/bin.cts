#!/usr/bin/env node
/*
 * Thin entry: answers --version and --help without importing anything, then lazily imports the
 * one module of the command asked for, so start-up stays close to bare `node`.
 *
 * CommonJS on purpose (.cts -> dist/bin.cjs): Node starts a CommonJS main without initialising
 * its ES module loader, which cost an ES module entry ~10% of `node -e 0` before its first line
 * (measured on Node 20). The loader starts with the first import() below, so a command pays it
 * and `hitl --version` does not.
 */
import fs = require("node:fs");

type EarlySign = import("@hitl/sdk/internal").EarlySign;

const VERSION = "0.1.0";

// bin/hitl set NODE_EXTRA_CA_CERTS aside so this process starts without building the CA store;
// the processes hitl starts (browsers, hosts, tools) get it back unchanged.
if (process.env.HITL_EXTRA_CA_CERTS !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS ??= process.env.HITL_EXTRA_CA_CERTS;
  delete process.env.HITL_EXTRA_CA_CERTS;
}

const COMMANDS: Record<
  string,
  { summary: string; load: () => Promise<{ run(argv: string[], context?: { earlySign?: EarlySign | undefined }): Promise<number> }> }
> = {
  request: {
    summary: "ask the human to approve an action; exit 0 only if approved and verified",
    load: () => import("./commands/request.js"),
  },
  verify: { summary: "verify a receipt offline (does not consume the nonce)", load: () => import("./commands/verify.js") },
  pair: { summary: "pair this machine with the browser extension (local identity)", load: () => import("./commands/pair.js") },
  setup: { summary: "install the native-messaging host manifest for your browsers", load: () => import("./commands/setup.js") },
  policy: {
    summary: "check the agent policy file, or explain its verdict on a command",
    load: () => import("./commands/policy.js"),
  },
  server: {
    summary: "run the hitl server of team mode (key registration, /v1/verify) on a shared Redis",
    load: () => import("./commands/server.js"),
  },
  keys: {
    summary: "team mode: list or revoke your registered keys (answered in the extension's team window)",
    load: () => import("./commands/keys.js"),
  },
  doctor: { summary: "check every link of the chain and say how to fix what is broken", load: () => import("./commands/doctor.js") },
  hook: {
    summary: "gate a coding agent's tool calls (Claude Code, Codex CLI, Gemini CLI); 'hook install' wires it in",
    load: () => import("./commands/hook.js"),
  },
  mcp: { summary: "MCP server over stdio: request_approval and approval_status tools", load: () => import("./commands/mcp.js") },
  "mcp-gate": {
    summary: "MCP proxy: starts an MCP server and forwards its tool calls only after your approval",
    load: () => import("./commands/mcp-gate.js"),
  },
  demo: { summary: "(source checkout) pair a fresh Chromium and approve a request, end to end", load: () => import("./demo.js") },
};

/*
 * Straight to the descriptor: the first use of process.stdout builds a stream (and, for a pipe,
 * loads the net module), ~8% of `node -e 0`. A descriptor another process left non-blocking can
 * refuse (EAGAIN); the rest then goes through the stream, which waits.
 */
function print(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  let written = 0;
  try {
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
    (fd === 1 ? process.stdout : process.stderr).write(bytes.subarray(written));
  }
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: hitl <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'hitl <command> --help' for a command's options.\n`;
}

/*
 * `hitl hook <agent>` runs as a coding agent's hook, where every exit code but 0 and 2 is a
 * NON-blocking error that lets the tool call run: a failure there must exit 2 (block) instead of 3.
 */
const HOOK_BLOCK = 2;
let failureExitCode: number | undefined;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") {
    print(1, `${VERSION}\n`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    print(1, usage());
    return name === undefined ? 3 : 0;
  }
  const command = COMMANDS[name];
  if (name === "hook" && rest[0] !== "install") failureExitCode = HOOK_BLOCK;
  if (command === undefined) {
    print(2, `hitl: ERR_USAGE: unknown command '${name}'. Run 'hitl --help' for the list.\n`);
    return 3;
  }
  // `hitl request` opens its POST /sign now, so the browser builds the window while the command
  // loads (lib/early-sign.ts), and gets it as `earlySign`; one the command did not use is dropped
  // at the end.
  let dropEarlySign: (() => void) | undefined;
  let earlySign: EarlySign | undefined;
  if (name === "request") {
    const early = await import("./lib/early-sign.js");
    const port = early.earlySignPort(rest, process.env);
    if (port !== undefined && early.mayAsk(process.env)) {
      const opened = early.openEarlySign(port);
      await opened.sent;
      earlySign = opened.early;
    }
    dropEarlySign = () => early.dropEarlySign(earlySign);
  }
  // The bundled command when it is current (one file instead of ~60 modules), else tsc's output.
  const { loadCommand } = require("./lib/load-command.cjs") as typeof import("./lib/load-command.cjs");
  const loaded = await loadCommand(name, command.load);
  try {
    // Only `request` takes a second argument (keys and setup take an environment there in tests).
    return await (name === "request" ? loaded.run(rest, { earlySign }) : loaded.run(rest));
  } catch (error) {
    const code = loaded.reportAndExitCode(error);
    return failureExitCode ?? code;
  } finally {
    dropEarlySign?.();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hitl: ERR_INTERNAL: ${String(error)}\n`);
    process.exitCode = failureExitCode ?? 3;
  },
);
