import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN } from "./helpers/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "hitl-gate-bytes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A raw upstream: it records every line it receives, answers tools/list with one read-only tool
 * and every request with a result whose bytes are deliberately unusual (spacing, escapes, key order).
 */
const RAW_UPSTREAM = `
const { appendFileSync } = require("node:fs");
let buffered = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffered += chunk;
  for (let end = buffered.indexOf("\\n"); end !== -1; end = buffered.indexOf("\\n")) {
    const line = buffered.slice(0, end + 1);
    buffered = buffered.slice(end + 1);
    appendFileSync(process.env.RECORD, line);
    const message = JSON.parse(line);
    if (message.id === undefined) continue;
    if (message.method === "tools/list") {
      process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: { tools: [{ name: "peek", inputSchema: { type: "object" }, annotations: { readOnlyHint: true } }] } }) + "\\n");
    } else {
      process.stdout.write('{ "result" : {"content":[{"type":"text","text":"caf\\\\u00e9 \\\\/ 1.0e0"}]} ,"jsonrpc":"2.0","id":' + JSON.stringify(message.id) + " }\\n");
    }
  }
});
`;

describe("hitl mcp-gate relays bytes untouched", () => {
  it("an allowed tools/call reaches the upstream as the exact bytes the client sent, and the answer reaches the client as the upstream wrote it", async () => {
    const record = join(dir, "received.txt");
    const gate = spawn(process.execPath, [BIN, "mcp-gate", "--", process.execPath, "-e", RAW_UPSTREAM], {
      env: { PATH: process.env.PATH, HOME: dir, HITL_CONFIG_DIR: join(dir, "config"), HITL_STATE_DIR: join(dir, "state"), RECORD: record },
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    gate.stdout.setEncoding("utf8");
    gate.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    const lines = () => out.split("\n").filter((line) => line !== "");
    const until = async (count: number) => {
      for (let i = 0; i < 200 && lines().length < count; i++) await new Promise((r) => setTimeout(r, 25));
      expect(lines().length).toBe(count);
    };
    const sent = [
      '{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n',
      // Spacing, key order, an escaped character and a unicode escape: forwarded as written.
      '{ "params" : { "arguments" : { "note" : "caf\\u00e9 \\/ x" } , "name" : "peek" } , "method":"tools/call", "jsonrpc":"2.0" , "id":"a" }\n',
      '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7, "progress":0.5}}\n',
    ];
    gate.stdin.write(sent[0]);
    await until(1);
    gate.stdin.write(sent[1]);
    await until(2);
    gate.stdin.write(sent[2]);
    for (let i = 0; i < 200 && readFileSync(record, "utf8").split("\n").length < 4; i++) await new Promise((r) => setTimeout(r, 25));
    expect(readFileSync(record, "utf8")).toBe(sent.join(""));
    expect(`${lines()[1]}\n`).toBe(
      '{ "result" : {"content":[{"type":"text","text":"caf\\u00e9 \\/ 1.0e0"}]} ,"jsonrpc":"2.0","id":"a" }\n',
    );
    const exited = new Promise((resolve) => gate.once("exit", resolve));
    gate.stdin.end();
    expect(await exited).toBe(0);
  });
});
