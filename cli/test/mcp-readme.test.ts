import { existsSync } from "node:fs";
import { mkdir, symlink } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serverFromConfig } from "./helpers/mcp-client.js";
import { freePort } from "./helpers/peer-host.js";
import { readmeSnippet, snippetCodeLines } from "./helpers/readme-snippet.js";
import { isolatedDirs } from "./helpers/run-cli.js";

/*
 * The README's MCP snippets, run as written: the client configuration is parsed and exactly its
 * command and arguments are started through the MCP SDK's Client, with `hitl` on PATH (bin/hitl,
 * what an install puts there). The gate's placeholder directory is the only substitution.
 */

const CLI_DIR = resolve(fileURLToPath(new URL("..", import.meta.url)));
let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let client: Client | undefined;

beforeEach(async () => {
  dirs = await isolatedDirs();
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  await dirs.cleanup();
});

async function start(server: { command: string; args: string[] }): Promise<Client> {
  const bin = join(dirs.root, "bin");
  await mkdir(bin);
  await symlink(join(CLI_DIR, "bin/hitl"), join(bin, "hitl"));
  const transport = new StdioClientTransport({
    command: server.command,
    args: server.args,
    // npx resolves the filesystem server from cli/'s own devDependencies: no download.
    cwd: CLI_DIR,
    env: {
      ...dirs.env,
      HOME: dirs.root,
      PATH: `${bin}${delimiter}${process.env.PATH ?? "/usr/bin:/bin"}`,
      HITL_PORT: String(await freePort()),
    },
    stderr: "pipe",
  });
  client = new Client({ name: "readme", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

function text(result: object): string {
  return ((result as { content?: { text: string }[] }).content ?? [])[0]?.text ?? "";
}

describe("README: Use it from your agent", () => {
  it("### MCP server: the snippet's command serves request_approval and approval_status", async () => {
    const { language, code } = readmeSnippet("mcp-server");
    expect(language).toBe("json");
    expect(snippetCodeLines(code)).toBeLessThanOrEqual(10);
    const server = serverFromConfig(code);
    expect(server).toEqual({ name: "hitl", command: "hitl", args: ["mcp"] });
    const session = await start(server);
    expect((await session.listTools()).tools.map((tool) => tool.name).sort()).toEqual(["approval_status", "request_approval"]);
    // Nothing set up in this fresh config dir: the status says so, and asking fails closed.
    const status = await session.callTool({ name: "approval_status", arguments: {} });
    expect((status.structuredContent as { ok: boolean }).ok).toBe(false);
    const asked = await session.callTool({ name: "request_approval", arguments: { action: "rm -rf build" } });
    expect(asked.isError).toBe(true);
    expect(text(asked)).toMatch(/^ERR_HOST_UNREACHABLE: /);
  });

  it("### MCP gate: the snippet's command puts the gate in front of the filesystem server", async () => {
    const { language, code } = readmeSnippet("mcp-gate");
    expect(language).toBe("json");
    expect(snippetCodeLines(code)).toBeLessThanOrEqual(10);
    const project = join(dirs.root, "project");
    await mkdir(project);
    const server = serverFromConfig(code.replace("/path/to/project", project));
    expect(server.command).toBe("hitl");
    expect(server.args.slice(0, 4)).toEqual(["mcp-gate", "--name", "files", "--"]);
    const session = await start(server);
    expect((await session.listTools()).tools.map((tool) => tool.name)).toContain("write_file");
    expect(session.getServerVersion()?.name).toBe("secure-filesystem-server");
    // No signing host here: the write fails closed and never reaches the server.
    const target = join(project, "x.txt");
    const written = await session.callTool({ name: "write_file", arguments: { path: target, content: "x" } });
    expect(written.isError).toBe(true);
    expect(text(written)).toMatch(
      /^hitl mcp-gate: ERR_HOST_UNREACHABLE: .* The server "files" did not receive the call to tool "write_file"\.$/,
    );
    expect(existsSync(target)).toBe(false);
  });
});
