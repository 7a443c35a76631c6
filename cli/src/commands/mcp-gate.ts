import { parseArgs } from "node:util";
import { DEFAULT_TTL_SECONDS, resolvePort } from "@hitl/sdk";
import { HitlError } from "@hitl/verifier";
import { parseSeconds, withUsageErrors } from "../lib/args.js";
import { printProblem } from "../lib/output.js";

const HELP = `Usage: hitl mcp-gate [options] -- <command> [args...]

An MCP proxy over stdio: starts the MCP server <command> and relays every message both ways
unchanged, except that a tools/call reaches the server only when the hitl policy allows it or
you approved it in the browser (the window shows the server, the tool and the arguments; the
signed receipt binds all three). By default every tool the server does not annotate
readOnlyHint: true is asked for. Denied, timed out or failed: the client gets a tool error
result and the server never sees the call.

Options:
  --name NAME         the server's name in the window and the policy (default: the name the
                      server gives in its initialize result)
  --policy FILE       policy file (default: $HITL_CONFIG_DIR/policy.json)
  --timeout SECONDS   time to decide when the policy names none (default ${DEFAULT_TTL_SECONDS}, at most 3600)
  --port N            signing host port (default: HITL_PORT, then 7331)
  -h, --help          show this help

Client configuration, e.g. the reference filesystem server behind the gate:
  {"mcpServers": {"fs": {"command": "hitl", "args": ["mcp-gate", "--", "npx", "-y",
    "@modelcontextprotocol/server-filesystem", "/path/to/dir"]}}}

Exit code: the server's, or 0 after the client closed the session; 127 if it could not start.
`;

interface GateArgs {
  help: boolean;
  name: string | undefined;
  policy: string | undefined;
  timeoutSeconds: number;
  port: number;
  command: string;
  args: string[];
}

export function parseGateArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GateArgs {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const upstream = split === -1 ? [] : argv.slice(split + 1);
  const { values } = withUsageErrors("mcp-gate", () =>
    parseArgs({
      args: own,
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: "string" },
        policy: { type: "string" },
        timeout: { type: "string" },
        port: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }),
  );
  const empty = { name: undefined, policy: undefined, timeoutSeconds: DEFAULT_TTL_SECONDS, port: 0, command: "", args: [] };
  if (values.help === true) return { help: true, ...empty };
  const [command, ...args] = upstream;
  if (command === undefined || command.length === 0) {
    throw new HitlError(
      "ERR_USAGE",
      "name the MCP server to start after '--', e.g. hitl mcp-gate -- npx -y @modelcontextprotocol/server-filesystem /tmp/dir.",
    );
  }
  for (const flag of ["name", "policy"] as const) {
    if (values[flag] !== undefined && values[flag].trim().length === 0) throw new HitlError("ERR_USAGE", `--${flag} must not be empty.`);
  }
  return {
    help: false,
    name: values.name,
    policy: values.policy,
    timeoutSeconds: parseSeconds("--timeout", values.timeout, DEFAULT_TTL_SECONDS),
    port: resolvePort(values.port, env),
    command,
    args,
  };
}

export async function run(argv: string[]): Promise<number> {
  let args: GateArgs;
  try {
    args = parseGateArgs(argv);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    printProblem(error.code, error.message);
    return 3;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const [{ runGate }, { policyDecider }] = await Promise.all([
    import("../lib/mcp-gate/gate.js"),
    import("../lib/mcp-gate/policy-decider.js"),
  ]);
  // A signal to the gate ends the session as a closed stdin does: the upstream is stopped too.
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await runGate({
      command: args.command,
      args: args.args,
      name: args.name,
      port: args.port,
      timeoutSeconds: args.timeoutSeconds,
      env: process.env,
      decide: policyDecider({ file: args.policy, env: process.env, cwd: process.cwd() }),
      input: process.stdin,
      output: process.stdout,
      stop: stop.signal,
    });
  } finally {
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
    // Nothing more is read: the client's pipe must not keep this process alive.
    process.stdin.destroy();
  }
}
