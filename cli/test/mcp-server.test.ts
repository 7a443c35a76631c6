import { addApprover, type ExtensionStatus, type HostToExtension, LocalKeyDirectory, type Receipt, verifyReceipt } from "@hitl/verifier";
import { makeApprover, signReceipt, type TestApprover } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_DOCTOR_CHECKS } from "./helpers/doctor-checks.js";
import { connectMcp, type McpSession, rawMcp } from "./helpers/mcp-client.js";
import { freePort } from "./helpers/peer-host.js";
import { type RealHost, startRealHost } from "./helpers/real-host.js";
import { isolatedDirs } from "./helpers/run-cli.js";

/*
 * `hitl mcp` as a real process (node cli/dist/bin.js mcp), driven by the MCP SDK's own Client over
 * StdioClientTransport, asking through the real signing host; this test plays the extension on
 * the host's stdio and signs with a real Ed25519 key.
 */

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let alice: TestApprover;
let host: RealHost | undefined;
let session: McpSession | undefined;

beforeEach(async () => {
  dirs = await isolatedDirs();
  alice = makeApprover("alice");
});

afterEach(async () => {
  await session?.close();
  session = undefined;
  await host?.stop();
  host = undefined;
  await dirs.cleanup();
});

function status(): ExtensionStatus {
  return { keyPresent: true, kid: alice.kid, subject: alice.sub, keyPolicy: "persistent", pending: 0 };
}

async function pairedHost(onMessage: (message: HostToExtension, host: RealHost) => void): Promise<Record<string, string>> {
  await addApprover(`${dirs.env.HITL_CONFIG_DIR}/approvers.json`, alice.record);
  const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
  host = await startRealHost({ env, status: status(), onMessage });
  return env;
}

function signing(decision: () => "approve" | "deny") {
  return (message: HostToExtension, peer: RealHost): void => {
    if (message.type === "sign.request") {
      peer.send({
        type: "sign.result",
        requestId: message.requestId,
        receipt: signReceipt(message.challenge, alice, { decision: decision() }),
      });
    }
  };
}

interface ApprovalContent {
  decision: string;
  message: string;
  code?: string;
  challengeId?: string;
  approver?: { sub: string; kid: string };
  receipt?: Receipt;
}

describe("hitl mcp: request_approval", () => {
  it("lists both tools with input and output schemas", async () => {
    session = await connectMcp(["mcp"], dirs.env);
    const { tools } = await session.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["approval_status", "request_approval"]);
    const request = tools.find((tool) => tool.name === "request_approval");
    expect(request?.inputSchema.required).toEqual(["action"]);
    expect(Object.keys(request?.inputSchema.properties ?? {}).sort()).toEqual(["action", "details", "timeout"]);
    expect((request?.outputSchema?.properties as Record<string, { enum?: string[] }> | undefined)?.decision?.enum).toEqual([
      "approved",
      "denied",
      "timeout",
    ]);
    expect(tools.find((tool) => tool.name === "approval_status")?.annotations?.readOnlyHint).toBe(true);
  });

  it("approved in the window -> decision approved with a receipt that verifies for that exact action", async () => {
    const env = await pairedHost(signing(() => "approve"));
    session = await connectMcp(["mcp"], env);
    const result = await session.client.callTool({
      name: "request_approval",
      arguments: { action: "drop table users", details: { database: "prod", rows: 1200 } },
    });
    expect(result.isError).toBeUndefined();
    const content = result.structuredContent as unknown as ApprovalContent;
    expect(content.decision).toBe("approved");
    expect(content.approver?.sub).toBe("alice");
    expect(content.message).toMatch(
      /^APPROVED by alice \(key [0-9a-f ]{19}\), signature verified\. Proceed with exactly this action: drop table users$/,
    );
    expect(result.content).toEqual([{ type: "text", text: content.message }]);
    // The window showed exactly the action and details, asked for by "hitl mcp (<client>)".
    const shown = host?.received.find((m) => m.type === "sign.request");
    expect(shown?.type === "sign.request" && shown.challenge.action).toEqual({
      summary: "drop table users",
      details: { database: "prod", rows: 1200 },
    });
    expect(shown?.type === "sign.request" && shown.challenge.requester.tool).toBe("hitl mcp (hitl-test-client)");
    // The receipt is the signed one, and it verifies offline against alice's key.
    const receipt = content.receipt;
    expect(receipt?.challenge.id).toBe(content.challengeId);
    const verified = await verifyReceipt(
      receipt,
      { aud: "hitl-cli" },
      { keys: await LocalKeyDirectory.open(`${dirs.env.HITL_CONFIG_DIR}/approvers.json`), nonces: "offline-audit" },
    );
    expect(verified.approver.sub).toBe("alice");
    expect(verified.receipt.statement.decision).toBe("approve");
  });

  it("denied in the window -> a normal result that says denied (not an error)", async () => {
    const env = await pairedHost(signing(() => "deny"));
    session = await connectMcp(["mcp"], env);
    const result = await session.client.callTool({ name: "request_approval", arguments: { action: "rm -rf build" } });
    expect(result.isError).toBeUndefined();
    const content = result.structuredContent as unknown as ApprovalContent;
    expect(content).toMatchObject({ decision: "denied", code: "ERR_DENIED", approver: { sub: "alice" } });
    expect(content.message).toMatch(/^DENIED by alice \(key [0-9a-f ]{19}\) \(signature verified\)\. Do not proceed with: rm -rf build$/);
  });

  it("no decision before the timeout -> decision timeout", async () => {
    const env = await pairedHost(() => {});
    session = await connectMcp(["mcp"], env);
    const result = await session.client.callTool({ name: "request_approval", arguments: { action: "rm -rf build", timeout: 2 } });
    const content = result.structuredContent as unknown as ApprovalContent;
    expect(result.isError).toBeUndefined();
    expect(content.decision).toBe("timeout");
    expect(content.code).toBe("ERR_TIMEOUT");
    expect(content.message).toMatch(
      /^TIMED OUT: nobody decided in time \(.+\)\. Do not proceed; ask again only if the human still wants it\.$/,
    );
  });

  it("host not running -> isError with ERR_HOST_UNREACHABLE and what to do", async () => {
    await addApprover(`${dirs.env.HITL_CONFIG_DIR}/approvers.json`, alice.record);
    const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
    session = await connectMcp(["mcp"], env);
    const result = await session.client.callTool({ name: "request_approval", arguments: { action: "rm -rf build" } });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    const text = (result.content as { text: string }[])[0]?.text ?? "";
    expect(text).toMatch(/^ERR_HOST_UNREACHABLE: .*127\.0\.0\.1:\d+.*/);
  });

  it("arguments outside the schema -> isError with ERR_USAGE, and nobody is asked", async () => {
    const env = await pairedHost(signing(() => "approve"));
    session = await connectMcp(["mcp"], env);
    const cases: [Record<string, unknown>, string][] = [
      [{}, "ERR_USAGE: 'action' is required: one string saying exactly what will happen"],
      [{ action: "  \u200b " }, "ERR_USAGE: 'action' must contain visible text"],
      [{ action: "x", timeout: 0 }, "ERR_USAGE: 'timeout' must be a whole number of seconds from 1 to 3600."],
      [{ action: "x", timeout: 1.5 }, "ERR_USAGE: 'timeout' must be a whole number of seconds from 1 to 3600."],
    ];
    for (const [args, message] of cases) {
      const result = await session.client.callTool({ name: "request_approval", arguments: args });
      expect(result.isError).toBe(true);
      expect((result.content as { text: string }[])[0]?.text).toContain(message);
    }
    expect(host?.received.some((m) => m.type === "sign.request")).toBe(false);
  });

  it("the client cancelling the call withdraws the window", async () => {
    let shown: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      shown = resolve;
    });
    const env = await pairedHost((message) => {
      if (message.type === "sign.request") shown();
    });
    session = await connectMcp(["mcp"], env);
    const cancel = new AbortController();
    const call = session.client.callTool({ name: "request_approval", arguments: { action: "rm -rf build" } }, undefined, {
      signal: cancel.signal,
    });
    await asked;
    cancel.abort();
    await expect(call).rejects.toThrow();
    for (let i = 0; i < 100 && !host?.received.some((m) => m.type === "request.withdraw"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(host?.received.some((m) => m.type === "request.withdraw")).toBe(true);
  });
});

describe("hitl mcp: lifetime", () => {
  it("the client closing stdin ends the server with exit 0, a request still waiting is withdrawn", async () => {
    const env = await pairedHost(() => {});
    const { child, exited, send, initialize } = rawMcp(["mcp"], env);
    initialize();
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "request_approval", arguments: { action: "rm -rf build" } } });
    for (let i = 0; i < 250 && !host?.received.some((m) => m.type === "sign.request"); i++) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    for (let i = 0; i < 100 && !host?.received.some((m) => m.type === "request.withdraw"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(host?.received.some((m) => m.type === "request.withdraw")).toBe(true);
  });
});

describe("hitl mcp: approval_status", () => {
  it("everything up -> ok with the doctor's checks", async () => {
    const env = await pairedHost(() => {});
    session = await connectMcp(["mcp"], env);
    const result = await session.client.callTool({ name: "approval_status", arguments: {} });
    const content = result.structuredContent as { ok: boolean; checks: { name: string; status: string }[] };
    expect(content.checks.map((check) => check.name)).toEqual(LOCAL_DOCTOR_CHECKS);
    const byName = Object.fromEntries(content.checks.map((check) => [check.name, check.status]));
    expect(byName).toMatchObject({
      "host reachable": "pass",
      "extension connected": "pass",
      "approver paired": "pass",
      "replay store": "pass",
    });
  });

  it("host down -> not ok; the failed check has its code and remedy, in the text too", async () => {
    const env = { ...dirs.env, HITL_PORT: String(await freePort()) };
    session = await connectMcp(["mcp"], env);
    const result = await session.client.callTool({ name: "approval_status", arguments: {} });
    expect(result.isError).toBeUndefined();
    const content = result.structuredContent as { ok: boolean; checks: { name: string; status: string; code?: string; remedy?: string }[] };
    expect(content.ok).toBe(false);
    const reachable = content.checks.find((check) => check.name === "host reachable");
    expect(reachable).toMatchObject({ status: "fail", code: "ERR_HOST_UNREACHABLE", remedy: expect.any(String) });
    const text = (result.content as { text: string }[])[0]?.text ?? "";
    expect(text).toContain(`FAIL host reachable: `);
    expect(text.endsWith("hitl cannot reach the human yet: fix the first FAIL above.")).toBe(true);
  });
});
