import { parseArgs } from "node:util";
import { DEFAULT_TTL_SECONDS, resolvePort } from "@hitl/sdk";
import { DEFAULT_AUDIENCE, HitlError } from "@hitl/verifier";
import { parseSeconds, withUsageErrors } from "../lib/args.js";
import { printProblem } from "../lib/output.js";

const HELP = `Usage: hitl mcp [options]

An MCP server over stdio for agents that ask on their own. Tools:
  request_approval {action, details?, timeout?}
      shows the action in the browser and returns the verified decision as structuredContent:
      {decision: approved|denied|timeout, message, code?, approver?, receipt?, challengeId?}.
      Denied and timed out are normal results; an error is isError: true with its ERR_ code.
  approval_status
      the checks of 'hitl doctor': host, extension, key, pairing, replay store.

Options:
  --aud AUD           audience of the approvals (default "${DEFAULT_AUDIENCE}")
  --timeout SECONDS   default time the human has to decide (default ${DEFAULT_TTL_SECONDS}, at most 3600)
  --port N            signing host port (default: HITL_PORT, then 7331)
  -h, --help          show this help

Client configuration: {"mcpServers": {"hitl": {"command": "hitl", "args": ["mcp"]}}}
`;

interface McpArgs {
  help: boolean;
  aud: string;
  timeoutSeconds: number;
  port: number;
}

export function parseMcpArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): McpArgs {
  const { values } = withUsageErrors("mcp", () =>
    parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        aud: { type: "string" },
        timeout: { type: "string" },
        port: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }),
  );
  if (values.help === true) return { help: true, aud: DEFAULT_AUDIENCE, timeoutSeconds: DEFAULT_TTL_SECONDS, port: 0 };
  if (values.aud !== undefined && values.aud.length === 0) throw new HitlError("ERR_USAGE", "--aud must not be empty.");
  return {
    help: false,
    aud: values.aud ?? DEFAULT_AUDIENCE,
    timeoutSeconds: parseSeconds("--timeout", values.timeout, DEFAULT_TTL_SECONDS),
    port: resolvePort(values.port, env),
  };
}

export async function run(argv: string[]): Promise<number> {
  let args: McpArgs;
  try {
    args = parseMcpArgs(argv);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    printProblem(error.code, error.message);
    return 3;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  // Loaded only here: the MCP SDK and zod are not part of any other command's start-up.
  const [{ createApprovalServer }, { StdioServerTransport }] = await Promise.all([
    import("../lib/mcp/approval-server.js"),
    import("@modelcontextprotocol/sdk/server/stdio.js"),
  ]);
  const ended = new AbortController();
  const server = createApprovalServer({
    name: "hitl",
    version: "0.1.0",
    port: args.port,
    aud: args.aud,
    defaultTimeoutSeconds: args.timeoutSeconds,
    env: process.env,
    signal: ended.signal,
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  // The client closing our stdin ends the session (the MCP stdio shutdown); a signal does too.
  const stop = (): void => {
    server.close().catch(() => undefined);
  };
  process.stdin.once("end", stop);
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await server.connect(transport);
  await closed;
  ended.abort();
  return 0;
}
