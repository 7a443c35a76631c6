import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
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

export interface RawMcp {
  child: ChildProcessByStdio<Writable, Readable, null>;
  /** Every JSON-RPC message the process wrote on stdout so far, parsed. */
  lines: unknown[];
  exited: Promise<number | null>;
  send(message: unknown): boolean;
  /** The client's initialize request (id 0); the test sends notifications/initialized when it wants. */
  initialize(): boolean;
}

/**
 * `node cli/dist/bin.js ...args` spoken to as raw newline-delimited JSON-RPC, without the SDK's
 * Client: for what that client would not do (stop mid-call, exit on its own terms).
 */
export function rawMcp(args: string[], env: Record<string, string>): RawMcp {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: unknown[] = [];
  let buffered = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    for (let end = buffered.indexOf("\n"); end !== -1; end = buffered.indexOf("\n")) {
      lines.push(JSON.parse(buffered.slice(0, end)));
      buffered = buffered.slice(end + 1);
    }
  });
  const exited = new Promise<number | null>((resolveExit) => child.on("exit", (code) => resolveExit(code)));
  const send = (message: unknown): boolean => child.stdin.write(`${JSON.stringify(message)}\n`);
  const initialize = (): boolean =>
    send({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
  return { child, lines, exited, send, initialize };
}
