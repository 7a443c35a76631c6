import { DEFAULT_TTL_SECONDS } from "@hitl/sdk";
import { type AskingArgs, askingArgs, askingFlags } from "../lib/args.js";
import { defineCommand, EXIT } from "../lib/command.js";

export const command = defineCommand({
  name: "mcp",
  usage: "[options]",
  description: `For agents that ask on their own. Tools:
  request_approval {action, details?, timeout?}
      shows the action in the browser and returns the verified decision as structuredContent:
      {decision: approved|denied|timeout, message, code?, approver?, receipt?, challengeId?}.
      Denied and timed out are normal results; an error is isError: true with its ERR_ code.
  approval_status
      the checks of 'hitl doctor': host, extension, key, pairing, replay store.`,
  options: askingFlags(DEFAULT_TTL_SECONDS, "default time the human has to decide"),
  exits: { ok: "the client closed the session", error: "a bad command line" },
  notes: `Client configuration: {"mcpServers": {"hitl": {"command": "hitl", "args": ["mcp"]}}}`,
  withdrawOnSignal: true,
  run: ({ values, signal, env }) => serve(askingArgs(values, DEFAULT_TTL_SECONDS, env), signal, env),
});
export const run = command.run;

async function serve(args: AskingArgs, signal: AbortSignal, env: NodeJS.ProcessEnv): Promise<number> {
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
    env,
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
  signal.addEventListener("abort", stop, { once: true });
  await server.connect(transport);
  await closed;
  ended.abort();
  return EXIT.ok;
}
