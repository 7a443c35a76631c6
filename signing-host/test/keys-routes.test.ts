import { newClientNonce, verifyHostAnswer } from "@hitl/verifier";
import { HOST_AUTH, type HostToExtension } from "@hitl/verifier/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { jsonPost } from "./lib/http.js";
import { type InProcessHost, startInProcess } from "./lib/in-process.js";

/*
 * POST /keys/list and POST /keys/revoke (team mode, `hitl keys list|revoke`): the host relays
 * keys.list / keys.revoke to the extension (played here by the test) and returns its answer,
 * proven like every answer; timeouts, a missing extension, a cancel and a wrong answer fail closed.
 */
let host: InProcessHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const kid = "k".repeat(43);
const otherKid = "o".repeat(43);
const entry = { kid, createdAt: 1_700_000_000, expiresAt: 1_702_592_000, thisBrowser: true };

function keysMessages(h: InProcessHost) {
  return h.sent.filter((m) => m.type === "keys.list" || m.type === "keys.revoke");
}

describe("POST /keys/list", () => {
  it("relays keys.list and returns exactly the public list, with the host's proof", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "keys.list") reply({ type: "keys.list.result", requestId: message.requestId, keys: [entry] });
    };
    const nonce = newClientNonce();
    const response = await host.inject({ url: "/keys/list", body: {}, headers: { [HOST_AUTH.nonceHeader]: nonce } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ keys: [entry] });
    const fields = { nonce, method: "POST", path: "/keys/list", status: 200, body: Buffer.from(response.body, "utf8") };
    expect(verifyHostAnswer(host.secret, fields, response.headers[HOST_AUTH.proofHeader] as string | undefined)).toBe(true);
    expect(keysMessages(host)).toEqual([{ type: "keys.list", requestId: expect.any(String) }]);
  });

  it("refuses a body with any member (400 ERR_MALFORMED) without asking the extension", async () => {
    host = await startInProcess();
    const response = await host.inject({ url: "/keys/list", body: { kid } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: "ERR_MALFORMED",
      message: "body.kid is not a known field (unknown fields are rejected, not ignored).",
    });
    expect(keysMessages(host)).toEqual([]);
  });

  it("an answer carrying a token is refused by the parser: 502 ERR_PROTOCOL, nothing relayed", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "keys.list")
        reply({ type: "keys.list.result", requestId: message.requestId, keys: [{ ...entry, accessToken: "eyJhbGciOi" }] });
    };
    const response = await host.inject({ url: "/keys/list", body: {} });
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe("ERR_PROTOCOL");
    expect(response.json().error.message).toMatch(/^The extension sent an invalid answer \(ERR_MALFORMED: .*accessToken/);
    expect(response.body).not.toContain("eyJhbGciOi");
  });

  it("not signed in (the window's answer) → 403 ERR_TEAM_NOT_SIGNED_IN, passed through", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "keys.list")
        reply({
          type: "request.error",
          requestId: message.requestId,
          error: { code: "ERR_TEAM_NOT_SIGNED_IN", message: "Nobody signed in in the team window." },
        });
    };
    const response = await host.inject({ url: "/keys/list", body: {} });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toEqual({ code: "ERR_TEAM_NOT_SIGNED_IN", message: "Nobody signed in in the team window." });
  });

  it("no extension → 503 ERR_EXTENSION_NOT_CONNECTED", async () => {
    host = await startInProcess({ connected: false });
    const response = await host.inject({ url: "/keys/list", body: {} });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toEqual({
      code: "ERR_EXTENSION_NOT_CONNECTED",
      message: "The hitl extension has not finished connecting to the signing host; wait a moment and retry, or reload the extension.",
    });
  });

  it("a silent team window → 408 ERR_TIMEOUT after keysTimeoutMs, and the window is withdrawn", async () => {
    host = await startInProcess({ server: { keysTimeoutMs: 50 } });
    const response = await host.inject({ url: "/keys/list", body: {} });
    expect(response.statusCode).toBe(408);
    expect(response.json().error).toEqual({
      code: "ERR_TIMEOUT",
      message:
        "The team window did not answer within 0 s (not signed in, or no click) and was closed. Nothing is reported as revoked; if you had confirmed, check with 'hitl keys list'. Run the command again and answer in the team window.",
    });
    const [sent] = keysMessages(host);
    expect(host.sent).toContainEqual({ type: "request.withdraw", requestId: (sent as { requestId: string }).requestId });
  });

  it("one keys request at a time: a second one while the first waits → 429 ERR_TOO_MANY_PENDING", async () => {
    host = await startInProcess();
    let answerFirst: (() => void) | undefined;
    host.answer = (message, reply) => {
      if (message.type === "keys.list") answerFirst = () => reply({ type: "keys.list.result", requestId: message.requestId, keys: [] });
    };
    const first = host.inject({ url: "/keys/list", body: {} });
    await expect.poll(() => answerFirst).toBeDefined();
    const second = await host.inject({ url: "/keys/revoke", body: { kid } });
    expect(second.statusCode).toBe(429);
    expect(second.json().error).toEqual({
      code: "ERR_TOO_MANY_PENDING",
      message: "Another 'hitl keys' request is already waiting in the team window; answer or close that window, then retry.",
    });
    answerFirst!();
    expect((await first).json()).toEqual({ keys: [] });
    // The place is free again.
    host.answer = (message, reply) => {
      if (message.type === "keys.list") reply({ type: "keys.list.result", requestId: message.requestId, keys: [entry] });
    };
    expect((await host.inject({ url: "/keys/list", body: {} })).json()).toEqual({ keys: [entry] });
  });

  it("the client goes away → the window is withdrawn", async () => {
    host = await startInProcess({ server: { port: 0 } });
    const port = await host.server.listen();
    const stop = new AbortController();
    const pending = jsonPost(port, "/keys/list", {}, stop.signal).catch((error: Error) => error);
    await expect.poll(() => keysMessages(host!).length).toBe(1);
    stop.abort();
    await pending;
    const requestId = (keysMessages(host)[0] as { requestId: string }).requestId;
    await expect.poll(() => host!.sent.some((m) => m.type === "request.withdraw" && m.requestId === requestId)).toBe(true);
  });
});

describe("POST /keys/revoke", () => {
  it("relays keys.revoke with exactly the kid asked for and returns {kid} once the window confirmed", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "keys.revoke") reply({ type: "keys.revoke.result", requestId: message.requestId, kid: message.kid });
    };
    const response = await host.inject({ url: "/keys/revoke", body: { kid } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ kid });
    expect(keysMessages(host)).toEqual([{ type: "keys.revoke", requestId: expect.any(String), kid } satisfies Partial<HostToExtension>]);
  });

  it("the human cancelled → 403 ERR_KEYS_REVOKE_CANCELLED", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "keys.revoke")
        reply({
          type: "request.error",
          requestId: message.requestId,
          error: { code: "ERR_KEYS_REVOKE_CANCELLED", message: "You cancelled; the key stays valid." },
        });
    };
    const response = await host.inject({ url: "/keys/revoke", body: { kid } });
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toEqual({ code: "ERR_KEYS_REVOKE_CANCELLED", message: "You cancelled; the key stays valid." });
  });

  it("an answer naming another kid is not reported as a revocation (502 ERR_PROTOCOL)", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "keys.revoke") reply({ type: "keys.revoke.result", requestId: message.requestId, kid: otherKid });
    };
    const response = await host.inject({ url: "/keys/revoke", body: { kid } });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toEqual({
      code: "ERR_PROTOCOL",
      message:
        "The extension reported the revocation of another key than the one asked for; nothing is reported as revoked. Check the key list in the team window.",
    });
  });

  it("refuses a malformed kid (400 ERR_INVALID_ENCODING) or a missing one (400 ERR_MALFORMED) before the extension", async () => {
    host = await startInProcess();
    const short = await host.inject({ url: "/keys/revoke", body: { kid: "abc" } });
    expect(short.statusCode).toBe(400);
    expect(short.json().error.code).toBe("ERR_INVALID_ENCODING");
    expect(short.json().error.message).toContain("body.kid");
    const missing = await host.inject({ url: "/keys/revoke", body: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toEqual({ code: "ERR_MALFORMED", message: "body.kid is missing." });
    expect(keysMessages(host)).toEqual([]);
  });

  it("the browser goes away while the window is open → 503 ERR_EXTENSION_DISCONNECTED (the outcome is unknown)", async () => {
    host = await startInProcess();
    const pending = host.inject({ url: "/keys/revoke", body: { kid } });
    await expect.poll(() => keysMessages(host!).length).toBe(1);
    host.extension.close();
    const response = await pending;
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe("ERR_EXTENSION_DISCONNECTED");
    expect(response.json().error.message).toContain("A revocation may or may not have happened");
  });
});
