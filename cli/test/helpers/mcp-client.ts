import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { BIN } from "./run-cli.js";

export interface McpSession {
  client: Client;
  transport: StdioClientTransport;
  /** What the spawned process wrote on stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * The MCP SDK's own Client over StdioClientTransport, spawning `command args` (by default the
 * built `node cli/dist/bin.js ...args`) with only the given environment (plus the SDK's
 * default PATH/HOME-like variables, which HOME in `env` overrides).
 */
export async function connectMcp(
  args: string[],
  env: Record<string, string>,
  options: { command?: string; capabilities?: ConstructorParameters<typeof Client>[1] } = {},
): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: options.command ?? process.execPath,
    args: options.command === undefined ? [BIN, ...args] : args,
    env: { HOME: env.HITL_CONFIG_DIR ?? "/nonexistent", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client({ name: "hitl-test-client", version: "1.0.0" }, options.capabilities);
  await client.connect(transport);
  return { client, transport, stderr: () => stderr, close: () => client.close() };
}

/** The MCP config a README snippet gives, reduced to the one server it names. */
export function serverFromConfig(json: string): { name: string; command: string; args: string[] } {
  const config = JSON.parse(json) as { mcpServers: Record<string, { command: string; args?: string[] }> };
  const entries = Object.entries(config.mcpServers);
  if (entries.length !== 1) throw new Error(`expected one server in the snippet, got ${entries.length}`);
  const [name, server] = entries[0] as [string, { command: string; args?: string[] }];
  return { name, command: server.command, args: server.args ?? [] };
}
