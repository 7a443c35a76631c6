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

type Loader = () => Promise<Pick<import("./lib/command.js").Command, "run">>;
/** How each command is loaded; its summary lives in lib/catalog.ts with the other commands'. */
const LOADERS: Record<keyof typeof import("./lib/catalog.cjs").SUMMARIES, Loader> = {
  request: () => import("./commands/request.js"),
  verify: () => import("./commands/verify.js"),
  pair: () => import("./commands/pair.js"),
  approvers: () => import("./commands/approvers.js"),
  setup: () => import("./commands/setup.js"),
  policy: () => import("./commands/policy.js"),
  server: () => import("./commands/server.js"),
  keys: () => import("./commands/keys.js"),
  doctor: () => import("./commands/doctor.js"),
  hook: () => import("./commands/hook.js"),
  mcp: () => import("./commands/mcp.js"),
  "mcp-gate": () => import("./commands/mcp-gate.js"),
  demo: () => import("./demo.js"),
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

/** The command list, loaded only by the answers that list commands. */
function catalog(): typeof import("./lib/catalog.cjs") {
  return require("./lib/catalog.cjs") as typeof import("./lib/catalog.cjs");
}

function isCommand(name: string): name is keyof typeof LOADERS {
  return Object.hasOwn(LOADERS, name);
}

function usage(): string {
  const { SUMMARIES } = catalog();
  const width = Math.max(...Object.keys(SUMMARIES).map((c) => c.length));
  const lines = Object.entries(SUMMARIES).map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`);
  return `Usage: hitl <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'hitl help <command>' (or 'hitl <command> --help') for a command's options.\n`;
}

function unknownCommand(name: string): number {
  const near = catalog().closestCommand(name);
  const hint = near === undefined ? "" : ` Did you mean '${near}'?`;
  print(2, `hitl: ERR_USAGE: unknown command '${name}'.${hint} Run 'hitl --help' for the list.\n`);
  return catalog().EXIT.error;
}

/*
 * `hitl hook <agent>` runs as a coding agent's hook, where every exit code but 0 and 2 is a
 * NON-blocking error that lets the tool call run: a failure there must exit 2 (block) instead of 3.
 */
const HOOK_BLOCK = 2;
let failureExitCode: number | undefined;

async function main(argv: string[]): Promise<number> {
  let [name, ...rest] = argv;
  if (name === "--version" || name === "-v" || name === "-V") {
    print(1, `${VERSION}\n`);
    return 0;
  }
  // `hitl help request` is `hitl request --help`.
  if (name === "help" && rest.length > 0) {
    const [asked, ...extra] = rest as [string, ...string[]];
    if (!isCommand(asked)) return unknownCommand(asked);
    if (extra.length > 0) {
      print(2, `hitl: ERR_USAGE: 'hitl help' takes one command name, got ${JSON.stringify(rest.join(" "))}.\n`);
      return catalog().EXIT.error;
    }
    [name, rest] = [asked, ["--help"]];
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    print(1, usage());
    return name === undefined ? catalog().EXIT.error : catalog().EXIT.ok;
  }
  if (!isCommand(name)) return unknownCommand(name);
  if (name === "hook" && rest[0] !== "install") failureExitCode = HOOK_BLOCK;
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
  const loaded = await loadCommand(name, LOADERS[name]);
  try {
    return await loaded.run(rest, process.env, { earlySign });
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
    process.exitCode = failureExitCode ?? catalog().EXIT.error;
  },
);
