import { type HostToExtension, LIMITS } from "@hitl/verifier/protocol";
import { makeApprover, makeChallenge, makePairingRequest, receiptSignedBy, signPairing, signReceipt } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type InProcessHost, signingExtension, startInProcess, TEST_PORT } from "./lib/in-process.js";

let host: InProcessHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const approver = makeApprover();

/** Test extension that approves (or denies) every sign.request with a real signature. */
function decideAll(h: InProcessHost, decision: "approve" | "deny" = "approve") {
  h.answer = signingExtension(approver, decision);
}

function signRequests(h: InProcessHost) {
  return h.sent.filter((m): m is Extract<HostToExtension, { type: "sign.request" }> => m.type === "sign.request");
}

describe("POST /sign", () => {
  it("relays the challenge and returns only the receipt, with cache-control: no-store", async () => {
    host = await startInProcess();
    decideAll(host);
    const challenge = makeChallenge({ action: { summary: "rm -rf ./build 🧹 — ملف", details: { files: ["a", "b"] } } });
    const response = await host.inject({ body: { challenge } });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    const body = response.json();
    expect(Object.keys(body)).toEqual(["receipt"]);
    expect(body.receipt.challenge).toEqual(challenge);
    expect(body.receipt.statement.decision).toBe("approve");
    expect(receiptSignedBy(body.receipt, approver)).toBe(true);
    expect(signRequests(host)[0]!.challenge).toEqual(challenge);
  });

  it("returns a signed denial as 200 too (the verifier turns it into ERR_DENIED)", async () => {
    host = await startInProcess();
    decideAll(host, "deny");
    const response = await host.inject({ body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(200);
    expect(response.json().receipt.statement.decision).toBe("deny");
  });

  it("refuses a receipt for another challenge (502 ERR_CHALLENGE_MISMATCH)", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "sign.request")
        reply({
          type: "sign.result",
          requestId: message.requestId,
          receipt: signReceipt(makeChallenge(), approver, { decision: "approve" }),
        });
    };
    const response = await host.inject({ body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({
      error: {
        code: "ERR_CHALLENGE_MISMATCH",
        message:
          "The extension returned a receipt for a different challenge than the one sent; it was discarded and nothing is approved. Reload the extension and retry.",
      },
    });
  });

  it("refuses a receipt whose statement signs another challenge's digest", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type !== "sign.request") return;
      const other = signReceipt(makeChallenge(), approver, { decision: "approve" });
      reply({ type: "sign.result", requestId: message.requestId, receipt: { ...other, challenge: message.challenge } });
    };
    const response = await host.inject({ body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toMatchObject({
      code: "ERR_CHALLENGE_MISMATCH",
      message: expect.stringContaining("does not sign the digest"),
    });
  });

  it("never forwards anything but the parsed receipt: extra fields from the extension fail the request", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type !== "sign.request") return;
      const receipt = signReceipt(message.challenge, approver, { decision: "approve" });
      reply({ type: "sign.result", requestId: message.requestId, receipt: { ...receipt, privateKey: "SECRET-KEY-MATERIAL" } });
    };
    const response = await host.inject({ body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toMatchObject({
      code: "ERR_PROTOCOL",
      message: expect.stringContaining("receipt.privateKey is not a known field"),
    });
    expect(response.body).not.toContain("SECRET-KEY-MATERIAL");
  });

  it.each([
    ["ERR_TIMEOUT", 408],
    ["ERR_WITHDRAWN", 410],
    ["ERR_NO_KEY", 503],
    ["ERR_NOT_PAIRED", 503],
    ["ERR_SIGNING_FAILED", 502],
  ] as const)("maps request.error %s to HTTP %i and passes code and message through", async (code, status) => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "sign.request")
        reply({ type: "request.error", requestId: message.requestId, error: { code, message: `extension says ${code}` } });
    };
    const response = await host.inject({ body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error: { code, message: `extension says ${code}` } });
  });

  it("answers 408 ERR_TIMEOUT at expiry (+grace) and withdraws the window", async () => {
    const challenge = makeChallenge();
    // The clock says the challenge has 150 ms left.
    host = await startInProcess({ server: { clock: () => challenge.exp * 1000 - 150, expiryGraceMs: 50 } });
    const started = Date.now();
    const response = await host.inject({ body: { challenge } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(response.statusCode).toBe(408);
    expect(response.json().error).toEqual({
      code: "ERR_TIMEOUT",
      message:
        "No decision was made before the challenge expired; nothing was signed. Ask again, with a longer timeout if the approver needs more time.",
    });
    const requestId = signRequests(host)[0]!.requestId;
    expect(host.sent).toContainEqual({ type: "request.withdraw", requestId });
    expect(host.server.pendingCount).toBe(0);
  });

  it("refuses an already expired challenge without bothering the human (400 ERR_EXPIRED)", async () => {
    const challenge = makeChallenge();
    host = await startInProcess({ server: { clock: () => challenge.exp * 1000 } });
    const response = await host.inject({ body: { challenge } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: "ERR_EXPIRED",
      message: "The challenge expired before it reached the browser (exp is in the past); make a new one and check the system clock.",
    });
    expect(signRequests(host)).toEqual([]);
  });

  it("answers 503 ERR_EXTENSION_NOT_CONNECTED before the extension said hello", async () => {
    host = await startInProcess({ connected: false });
    const response = await host.inject({ body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toEqual({
      code: "ERR_EXTENSION_NOT_CONNECTED",
      message: "The hitl extension has not finished connecting to the signing host; wait a moment and retry, or reload the extension.",
    });
  });

  it("answers 503 ERR_EXTENSION_DISCONNECTED to pending requests when the browser closes the port", async () => {
    host = await startInProcess();
    const pending = host.inject({ body: { challenge: makeChallenge() } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signRequests(host)).toHaveLength(1);
    host.extension.close();
    const response = await pending;
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toEqual({
      code: "ERR_EXTENSION_DISCONNECTED",
      message:
        "The browser side of the signing host went away while the approval request was pending (the extension's service worker stopped or the browser closed); nothing was signed here. The approval window stays open: hitl request re-sends the same challenge when the browser reconnects; other clients should re-send it too.",
    });
    // The slot is free again, and a request after the close was never delivered: "not connected".
    expect(host.server.pendingCount).toBe(0);
    const late = await host.inject({ body: { challenge: makeChallenge() } });
    expect(late.statusCode).toBe(503);
    expect(late.json().error).toMatchObject({ code: "ERR_EXTENSION_NOT_CONNECTED" });
  });
});

describe("POST /sign with x-hitl-prepare: 1 (the window opens while the body travels)", () => {
  const PREPARE = { "x-hitl-prepare": "1" };
  const prepares = (h: InProcessHost) => h.sent.filter((m) => m.type === "sign.prepare");
  const withdrawals = (h: InProcessHost) => h.sent.filter((m) => m.type === "request.withdraw");

  it("announces the request before the body is read, and the sign.request uses the same id", async () => {
    host = await startInProcess();
    decideAll(host);
    const challenge = makeChallenge();
    const response = await host.inject({ headers: PREPARE, body: { challenge } });
    expect(response.statusCode).toBe(200);
    expect(receiptSignedBy(response.json().receipt, approver)).toBe(true);
    expect(host.sent.map((m) => m.type)).toEqual(["sign.prepare", "sign.request"]);
    expect(signRequests(host)[0]!.requestId).toBe(prepares(host)[0]!.requestId);
    expect(withdrawals(host)).toEqual([]);
  });

  it("without the header, nothing reaches the browser before the body is valid", async () => {
    host = await startInProcess();
    const response = await host.inject({ payload: '{"challenge": 1}' });
    expect(response.statusCode).toBe(400);
    expect(host.sent).toEqual([]);
  });

  it("withdraws the prepared window when the body is refused (400 ERR_MALFORMED), and relays nothing", async () => {
    host = await startInProcess();
    const response = await host.inject({ headers: PREPARE, body: { challenge: makeChallenge(), extra: true } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("ERR_MALFORMED");
    expect(signRequests(host)).toEqual([]);
    expect(withdrawals(host)).toEqual([{ type: "request.withdraw", requestId: prepares(host)[0]!.requestId }]);
  });

  it("withdraws the prepared window for an expired challenge (400 ERR_EXPIRED)", async () => {
    const challenge = makeChallenge();
    host = await startInProcess({ server: { clock: () => challenge.exp * 1000 } });
    const response = await host.inject({ headers: PREPARE, body: { challenge } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("ERR_EXPIRED");
    expect(signRequests(host)).toEqual([]);
    expect(withdrawals(host)).toEqual([{ type: "request.withdraw", requestId: prepares(host)[0]!.requestId }]);
  });

  it("prepares nothing while the extension is not connected (503 ERR_EXTENSION_NOT_CONNECTED)", async () => {
    host = await startInProcess({ connected: false });
    const response = await host.inject({ headers: PREPARE, body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe("ERR_EXTENSION_NOT_CONNECTED");
    expect(host.sent).toEqual([]);
  });
});

describe("hardening", () => {
  it.each(["https://evil.example", "null", "chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb", "http://127.0.0.1:7331"])(
    "refuses any Origin header (%s) with 403 ERR_ORIGIN_FORBIDDEN before reading the body",
    async (origin) => {
      host = await startInProcess();
      decideAll(host);
      const response = await host.inject({ headers: { origin }, body: { challenge: makeChallenge() } });
      expect(response.statusCode).toBe(403);
      expect(response.headers["cache-control"]).toBe("no-store");
      expect(response.json()).toEqual({
        error: {
          code: "ERR_ORIGIN_FORBIDDEN",
          message:
            "Requests from web pages (with an Origin header) are refused; only local programs such as the hitl CLI may use the signing host.",
        },
      });
      expect(signRequests(host)).toEqual([]);
    },
  );

  it("refuses a CORS preflight and an Origin on GET /health", async () => {
    host = await startInProcess();
    const preflight = await host.inject({
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(preflight.statusCode).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const health = await host.inject({ method: "GET", url: "/health", headers: { origin: "https://evil.example" } });
    expect(health.statusCode).toBe(403);
    expect(health.json().error.code).toBe("ERR_ORIGIN_FORBIDDEN");
  });

  it.each([
    `evil.example:${TEST_PORT}`,
    "127.0.0.1:9999",
    "127.0.0.1",
    `[::1]:${TEST_PORT}`,
    `0.0.0.0:${TEST_PORT}`,
    `localhost.evil.example:${TEST_PORT}`,
    "",
  ])("refuses Host %j with 403 ERR_HOST_HEADER_FORBIDDEN (DNS rebinding)", async (hostHeader) => {
    host = await startInProcess();
    decideAll(host);
    const response = await host.inject({ headers: { host: hostHeader }, body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({
      error: {
        code: "ERR_HOST_HEADER_FORBIDDEN",
        message: `The signing host only answers requests addressed to 127.0.0.1:${TEST_PORT} or localhost:${TEST_PORT}; use http://127.0.0.1:${TEST_PORT}/.`,
      },
    });
    expect(signRequests(host)).toEqual([]);
  });

  it.each([`127.0.0.1:${TEST_PORT}`, `localhost:${TEST_PORT}`, `LOCALHOST:${TEST_PORT}`])("accepts Host %s", async (hostHeader) => {
    host = await startInProcess();
    decideAll(host);
    const response = await host.inject({ headers: { host: hostHeader }, body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(200);
  });

  it.each([
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=latin1",
    "application/jsonx",
    "text/json",
  ])("refuses content-type %s with 415 ERR_UNSUPPORTED_MEDIA_TYPE", async (contentType) => {
    host = await startInProcess();
    decideAll(host);
    const response = await host.inject({ headers: { "content-type": contentType }, body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({
      error: { code: "ERR_UNSUPPORTED_MEDIA_TYPE", message: "POST bodies must be sent with content-type: application/json." },
    });
    expect(signRequests(host)).toEqual([]);
  });

  it("refuses a POST without content-type, and accepts application/json; charset=utf-8", async () => {
    host = await startInProcess();
    decideAll(host);
    const bare = await host.server.app.inject({ method: "POST", url: "/sign", headers: { host: `127.0.0.1:${TEST_PORT}` }, payload: "{}" });
    expect(bare.statusCode).toBe(415);
    const ok = await host.inject({ headers: { "content-type": "Application/JSON; Charset=UTF-8" }, body: { challenge: makeChallenge() } });
    expect(ok.statusCode).toBe(200);
  });

  it("refuses a body over LIMITS.receiptBytes with 413 ERR_TOO_LARGE", async () => {
    host = await startInProcess();
    const payload = JSON.stringify({ challenge: { pad: "x".repeat(LIMITS.receiptBytes) } });
    const response = await host.inject({ payload });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toEqual({
      code: "ERR_TOO_LARGE",
      message: `The request body is larger than ${LIMITS.receiptBytes} bytes; a hitl challenge or pairing request is much smaller, so check what is being sent.`,
    });
  });

  it("refuses invalid JSON, prototype-pollution keys and non-objects with 400 ERR_MALFORMED", async () => {
    host = await startInProcess();
    for (const payload of ["{not json", '{"__proto__":{"x":1},"challenge":{}}', "[]", '"challenge"', ""]) {
      const response = await host.inject({ payload });
      expect(response.statusCode, payload).toBe(400);
      expect(response.json().error.code, payload).toBe("ERR_MALFORMED");
    }
  });

  it("reads bodies as the protocol reads JSON text: duplicate names, non-canonical numbers, BOM, invalid UTF-8", async () => {
    host = await startInProcess();
    const text = JSON.stringify({ challenge: makeChallenge() });
    const cases: [string, string | Buffer, string, string][] = [
      [
        "a duplicate name spelt with an escape",
        text.replace('"aud":', '"\\u0061ud":"x","aud":'),
        "ERR_MALFORMED",
        'The request body repeats the member name "aud" in one object; duplicate names are ambiguous and refused.',
      ],
      [
        "1.0 for v",
        text.replace('"v":1,', '"v":1.0,'),
        "ERR_MALFORMED",
        'The request body writes the number 1.0 in another form than canonical JSON\'s (1); write numbers as RFC 8785 does (no "1.0", "1e0", "-0", leading zeros or more digits than a double holds).',
      ],
      [
        "a BOM",
        `\ufeff${text}`,
        "ERR_INVALID_ENCODING",
        "The request body starts with a byte order mark (U+FEFF); send UTF-8 JSON without one.",
      ],
      [
        "invalid UTF-8",
        Buffer.concat([Buffer.from(text.slice(0, 20)), Buffer.from([0xff]), Buffer.from(text.slice(20))]),
        "ERR_INVALID_ENCODING",
        "The request body is not valid UTF-8; it was corrupted or is not hitl JSON.",
      ],
    ];
    for (const [what, payload, code, message] of cases) {
      const response = await host.inject({ payload: payload as string });
      expect(response.statusCode, what).toBe(400);
      expect(response.json().error, what).toEqual({ code, message });
    }
    expect(host.sent.filter((m) => m.type === "sign.request")).toEqual([]);
  });

  it("accepts __proto__ and constructor as member names inside details, as plain members (no prototype touched)", async () => {
    host = await startInProcess();
    decideAll(host);
    // JSON.parse makes "__proto__" an own member (an object literal would set the prototype).
    const details = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"path":"/tmp"}');
    const payload = JSON.stringify({ challenge: makeChallenge({ action: { summary: "odd member names", details } }) });
    expect(payload).toContain('"__proto__":{"polluted":true}');
    const response = await host.inject({ payload });
    expect(response.statusCode).toBe(200);
    const relayed = signRequests(host)[0]!.challenge.action.details as Record<string, unknown>;
    expect(Object.keys(relayed)).toEqual(["__proto__", "constructor", "path"]);
    expect(Object.getPrototypeOf(relayed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // The receipt carries them as members, and its signature verifies over them.
    const receipt = response.json().receipt;
    expect(Object.hasOwn(receipt.challenge.action.details, "__proto__")).toBe(true);
    expect(receiptSignedBy(receipt, approver)).toBe(true);
  });

  it("rejects unknown fields, at the top level and inside the challenge, without coercion", async () => {
    host = await startInProcess();
    decideAll(host);
    const top = await host.inject({ body: { challenge: makeChallenge(), token: "x" } });
    expect(top.statusCode).toBe(400);
    expect(top.json().error).toEqual({
      code: "ERR_MALFORMED",
      message: "body.token is not a known field (unknown fields are rejected, not ignored).",
    });
    const inner = await host.inject({ body: { challenge: { ...makeChallenge(), extra: 1 } } });
    expect(inner.json().error).toEqual({
      code: "ERR_MALFORMED",
      message: "body.challenge.extra is not a known field (unknown fields are rejected, not ignored).",
    });
    const coerced = await host.inject({ body: { challenge: { ...makeChallenge(), exp: String(makeChallenge().exp) } } });
    expect(coerced.json().error).toEqual({ code: "ERR_MALFORMED", message: "body.challenge.exp must be an integer." });
    expect(signRequests(host)).toEqual([]);
  });

  it("answers 409 ERR_DUPLICATE_REQUEST for a second request with the same id or nonce while the first is pending", async () => {
    host = await startInProcess();
    const first = makeChallenge();
    const pending = host.inject({ body: { challenge: first } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const duplicate of [first, makeChallenge({ id: first.id }), makeChallenge({ nonce: first.nonce })]) {
      const response = await host.inject({ body: { challenge: duplicate } });
      expect(response.statusCode).toBe(409);
      expect(response.json().error).toEqual({
        code: "ERR_DUPLICATE_REQUEST",
        message: "A request with the same id or nonce is already waiting for a decision; wait for it, or make a new challenge.",
      });
    }
    expect(signRequests(host)).toHaveLength(1);
    const requestId = signRequests(host)[0]!.requestId;
    host.extension.receive({ type: "sign.result", requestId, receipt: signReceipt(first, approver, { decision: "approve" }) });
    expect((await pending).statusCode).toBe(200);
  });

  it("bounds pending requests by the peer process, not by the pid the challenge claims (429 ERR_TOO_MANY_PENDING)", async () => {
    // Every injected request comes from the same peer process, whatever pid its challenge names.
    host = await startInProcess({
      server: {
        identifyPeer: () => ({ key: "process:1000:4242", uid: 1000, pid: 4242 }),
        pendingLimits: { maxPerPeer: 2, maxTotal: 3, reservedForNewPeers: 0 },
      },
    });
    const open = [
      host.inject({ body: { challenge: makeChallenge({ requester: { tool: "agent", pid: 100 } }) } }),
      host.inject({ body: { challenge: makeChallenge({ requester: { tool: "agent", pid: 101 } }) } }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 20));
    const forged = await host.inject({ body: { challenge: makeChallenge({ requester: { tool: "other", pid: 102 } }) } });
    expect(forged.statusCode).toBe(429);
    expect(forged.json().error).toEqual({
      code: "ERR_TOO_MANY_PENDING",
      message:
        "This program (pid 4242) already has 2 requests waiting for a decision (limit 2 per process); wait for one to finish, or deny them all from the hitl extension's toolbar popup.",
    });
    expect(signRequests(host)).toHaveLength(2);
    host.extension.close();
    for (const response of await Promise.all(open)) expect(response.statusCode).toBe(503);
    expect(host.server.pendingCount).toBe(0);
  });

  it("refuses pending limits that would disable a bound", async () => {
    await expect(startInProcess({ server: { pendingLimits: { maxPerPeer: 0 } } })).rejects.toThrow(
      "pendingLimits: maxPerPeer and maxTotal must be integers >= 1, reservedForNewPeers an integer >= 0",
    );
    await expect(startInProcess({ server: { pendingLimits: { maxTotal: 4, reservedForNewPeers: 4 } } })).rejects.toThrow(
      "pendingLimits: reservedForNewPeers must be smaller than maxTotal",
    );
  });

  it("answers unknown routes and methods with 404 in the error format", async () => {
    host = await startInProcess();
    for (const [method, url] of [
      ["GET", "/sign"],
      ["PUT", "/sign"],
      ["GET", "/"],
      ["DELETE", "/health"],
    ] as const) {
      const response = await host.inject({ method, url, ...(method === "PUT" ? { body: {} } : {}) });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers["cache-control"]).toBe("no-store");
      expect(response.json().error).toEqual({
        code: "ERR_MALFORMED",
        message: "No such endpoint: the signing host serves POST /sign, POST /pair, POST /keys/list, POST /keys/revoke and GET /health.",
      });
    }
  });
});

describe("POST /pair", () => {
  it("relays the pairing request and returns {pairing}", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "pair.request")
        reply({ type: "pair.result", requestId: message.requestId, pairing: signPairing(message.request, approver) });
    };
    const request = makePairingRequest();
    const response = await host.inject({ url: "/pair", body: { request } });
    expect(response.statusCode).toBe(200);
    expect(Object.keys(response.json())).toEqual(["pairing"]);
    expect(response.json().pairing.statement.kid).toBe(approver.kid);
    expect(host.sent.find((m) => m.type === "pair.request")).toMatchObject({ request });
  });

  it("passes keyLifetime on beside the request (absent stays absent) and refuses an unknown lifetime", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "pair.request")
        reply({ type: "pair.result", requestId: message.requestId, pairing: signPairing(message.request, approver) });
    };
    const request = makePairingRequest();
    expect((await host.inject({ url: "/pair", body: { request, keyLifetime: "session" } })).statusCode).toBe(200);
    expect(host.sent.filter((m) => m.type === "pair.request").at(-1)).toEqual({
      type: "pair.request",
      requestId: expect.any(String),
      request,
      keyLifetime: "session",
    });
    const plain = makePairingRequest();
    expect((await host.inject({ url: "/pair", body: { request: plain } })).statusCode).toBe(200);
    expect(host.sent.filter((m) => m.type === "pair.request").at(-1)).not.toHaveProperty("keyLifetime");

    const bad = await host.inject({ url: "/pair", body: { request: makePairingRequest(), keyLifetime: "forever" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toEqual({ code: "ERR_MALFORMED", message: expect.stringContaining("body.keyLifetime") });
  });

  it("maps a refused pairing to 403 ERR_PAIRING_REJECTED and refuses an answer for another request", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "pair.request") {
        reply({
          type: "request.error",
          requestId: message.requestId,
          error: { code: "ERR_PAIRING_REJECTED", message: "The code did not match." },
        });
      }
    };
    const refused = await host.inject({ url: "/pair", body: { request: makePairingRequest() } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error).toEqual({ code: "ERR_PAIRING_REJECTED", message: "The code did not match." });

    host.answer = (message, reply) => {
      if (message.type === "pair.request")
        reply({ type: "pair.result", requestId: message.requestId, pairing: signPairing(makePairingRequest(), approver) });
    };
    const other = await host.inject({ url: "/pair", body: { request: makePairingRequest() } });
    expect(other.statusCode).toBe(502);
    expect(other.json().error).toEqual({
      code: "ERR_CHALLENGE_MISMATCH",
      message: "The extension answered a different pairing request than the one sent; it was discarded. Run hitl pair again.",
    });
  });

  it("rejects unknown fields in the pairing request", async () => {
    host = await startInProcess();
    const response = await host.inject({ url: "/pair", body: { request: { ...makePairingRequest(), admin: true } } });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: "ERR_MALFORMED",
      message: "body.request.admin is not a known field (unknown fields are rejected, not ignored).",
    });
  });
});

describe("GET /health", () => {
  it("says not connected before the handshake", async () => {
    host = await startInProcess({ connected: false });
    const response = await host.inject({ method: "GET", url: "/health" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(response.json()).toEqual({ host: { version: "0.1.0", pid: process.pid, port: TEST_PORT }, extension: { connected: false } });
  });

  it("asks the extension now and reports what it says", async () => {
    host = await startInProcess();
    host.answer = (message, reply) => {
      if (message.type === "status.request") {
        reply({ type: "status.result", requestId: message.requestId, status: { keyPresent: false, keyPolicy: "session", pending: 2 } });
      }
    };
    const response = await host.inject({ method: "GET", url: "/health" });
    expect(response.json()).toEqual({
      host: { version: "0.1.0", pid: process.pid, port: TEST_PORT },
      extension: { connected: true, extensionVersion: "0.1.0", browser: "chromium", keyPresent: false, keyPolicy: "session", pending: 2 },
    });
    expect(host.sent.filter((m) => m.type === "status.request")).toHaveLength(1);
  });

  it("says not connected when the browser goes away while its status is asked", async () => {
    host = await startInProcess();
    const response = host.inject({ method: "GET", url: "/health" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(host.sent.filter((m) => m.type === "status.request")).toHaveLength(1);
    host.extension.close();
    expect((await response).json()).toEqual({
      host: { version: "0.1.0", pid: process.pid, port: TEST_PORT },
      extension: { connected: false },
    });
  });

  it("answers 503 ERR_TIMEOUT when the extension is connected but silent", async () => {
    host = await startInProcess({ server: { healthTimeoutMs: 100 } });
    const response = await host.inject({ method: "GET", url: "/health" });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toEqual({
      code: "ERR_TIMEOUT",
      message: "The extension is connected but did not answer within 100 ms; reload the hitl extension.",
    });
  });
});
