import { DEFAULT_TTL_SECONDS, resolvePort } from "@hitl/sdk";
import { HitlError, LIMITS } from "@hitl/verifier";
import { PORT_FLAG, parseSeconds } from "../lib/args.js";
import { defineCommand, usageError } from "../lib/command.js";

export const command = defineCommand({
  name: "mcp-gate",
  usage: "[options] -- <command> [args...]",
  description: `Starts the MCP server <command> and relays every message both ways over stdio unchanged,
except that a tools/call reaches the server only when the hitl policy allows it or you approved
it in the browser (the window shows the server, the tool and the arguments; the signed receipt
binds all three). By default every tool the server does not annotate readOnlyHint: true is asked
for. Denied, timed out or failed: the client gets a tool error result and the server never sees
the call.`,
  options: {
    name: {
      type: "string",
      value: "NAME",
      help: "the server's name in the window and the policy (default: the name the\nserver gives in its initialize result)",
    },
    policy: { type: "string", value: "FILE", help: "policy file (default: $HITL_CONFIG_DIR/policy.json)" },
    timeout: {
      type: "string",
      value: "SECONDS",
      help: `time to decide when the policy names none (default ${DEFAULT_TTL_SECONDS}, at most ${LIMITS.maxLifetimeSeconds})`,
    },
    port: PORT_FLAG,
  },
  positionals: true,
  withdrawOnSignal: true,
  exits: { error: "a bad command line" },
  notes: `Otherwise the exit code is the server's, or 0 after the client closed the session; 127 if it
could not start.

Client configuration, e.g. the reference filesystem server behind the gate:
  {"mcpServers": {"fs": {"command": "hitl", "args": ["mcp-gate", "--", "npx", "-y",
    "@modelcontextprotocol/server-filesystem", "/path/to/dir"]}}}`,
  run: ({ values, positionals, argv, signal, env }) => gate(gateArgs(values, positionals, argv, env), signal, env),
});
export const run = command.run;

interface GateArgs {
  name: string | undefined;
  policy: string | undefined;
  timeoutSeconds: number;
  port: number;
  command: string;
  args: string[];
}

function gateArgs(
  values: { name?: string; policy?: string; timeout?: string; port?: string },
  positionals: string[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): GateArgs {
  const split = argv.indexOf("--");
  const upstream = split === -1 ? [] : argv.slice(split + 1);
  // Words before `--` would be read as the gate's own; the server's command comes after it.
  if (positionals.length !== upstream.length) {
    throw usageError("mcp-gate", `Unexpected argument '${positionals[0]}' before '--'; the MCP server's command goes after '--'.`);
  }
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
    name: values.name,
    policy: values.policy,
    timeoutSeconds: parseSeconds("--timeout", values.timeout, DEFAULT_TTL_SECONDS),
    port: resolvePort(values.port, env),
    command,
    args,
  };
}

async function gate(args: GateArgs, stop: AbortSignal, env: NodeJS.ProcessEnv): Promise<number> {
  const [{ runGate }, { policyDecider }] = await Promise.all([
    import("../lib/mcp-gate/gate.js"),
    import("../lib/mcp-gate/policy-decider.js"),
  ]);
  // A signal to the gate ends the session as a closed stdin does: the upstream is stopped too.
  try {
    return await runGate({
      command: args.command,
      args: args.args,
      name: args.name,
      port: args.port,
      timeoutSeconds: args.timeoutSeconds,
      env,
      decide: policyDecider({ file: args.policy, env, cwd: process.cwd() }),
      input: process.stdin,
      output: process.stdout,
      stop,
    });
  } finally {
    // Nothing more is read: the client's pipe must not keep this process alive.
    process.stdin.destroy();
  }
}
