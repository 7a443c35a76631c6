import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BrowserSession, clickButton, launchSession, pairBrowser, REPO_ROOT, readThrough } from "./harness/index.js";

/*
 * `hitl mcp-gate` in front of a real MCP server (cli/test/fixtures/mcp-upstream.mjs, written with
 * the MCP SDK, logging every call it receives), driven by the SDK's own Client over stdio; the
 * approval happens in real Chromium with the real extension and the real signing host.
 */

const UPSTREAM = `${REPO_ROOT}cli/test/fixtures/mcp-upstream.mjs`;
let session: BrowserSession;
let client: Client;
let dir: string;
let log: string;

beforeAll(async () => {
  session = await launchSession();
  await pairBrowser(session, "alice");
  dir = await mkdtemp(join(tmpdir(), "hitl-e2e-mcp-"));
  log = join(dir, "upstream.log");
  const env = Object.fromEntries(Object.entries(session.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [`${REPO_ROOT}cli/dist/bin.cjs`, "mcp-gate", "--", process.execPath, UPSTREAM, log],
    env,
  });
  client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(transport);
});
afterAll(async () => {
  await client?.close();
  await session?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function upstreamCalls(): unknown[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}

describe("hitl mcp-gate with the browser", () => {
  test("Approve -> the tools/call reaches the upstream; the window shows server, command, tool and arguments", async () => {
    const call = client.callTool({ name: "write_note", arguments: { name: "todo", text: "ship it" } });
    const page = await session.nextWindow("approval");
    expect(await page.locator("#summary").textContent()).toBe('Call the MCP tool "write_note" of the server "test-upstream"');
    expect(JSON.parse((await page.locator("#details").textContent()) ?? "")).toEqual({
      server: "test-upstream",
      command: [process.execPath, UPSTREAM, log],
      tool: "write_note",
      arguments: { name: "todo", text: "ship it" },
    });
    expect(await page.locator("#requester").textContent()).toContain("hitl mcp-gate");
    await session.screenshot(page, "mcp-gate-window");
    expect(upstreamCalls()).toEqual([]);
    // The request is taller than the window: Approve unlocks once all of it has been on screen.
    await readThrough(page);
    await clickButton(page, "Approve");
    expect(await call).toEqual({ content: [{ type: "text", text: "wrote todo" }] });
    expect(upstreamCalls()).toEqual([{ tool: "write_note", arguments: { name: "todo", text: "ship it" } }]);
  });

  test("Deny -> a tool error result; the upstream never sees the call", async () => {
    const call = client.callTool({ name: "write_note", arguments: { name: "secrets", text: "leak" } });
    const page = await session.nextWindow("approval");
    expect(JSON.parse((await page.locator("#details").textContent()) ?? "")).toMatchObject({
      tool: "write_note",
      arguments: { name: "secrets", text: "leak" },
    });
    await clickButton(page, "Deny");
    const result = await call;
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toMatch(
      /^hitl mcp-gate: ERR_DENIED: alice \(key [0-9a-f ]{19}\) denied this call \(signature verified\)\. Do not retry it unchanged; ask the human what to do instead\. The server "test-upstream" did not receive the call to tool "write_note"\.$/,
    );
    expect(upstreamCalls()).toEqual([{ tool: "write_note", arguments: { name: "todo", text: "ship it" } }]);
  });

  test("a read-only tool passes without a window", async () => {
    expect(await client.callTool({ name: "read_note", arguments: { name: "todo" } })).toEqual({
      content: [{ type: "text", text: "note todo" }],
    });
    expect(upstreamCalls()).toHaveLength(2);
  });
});
