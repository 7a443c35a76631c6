import { randomBytes } from "node:crypto";
import { newClientNonce, verifyHostAnswer } from "@hitl/verifier";
import { HOST_AUTH } from "@hitl/verifier/protocol";
import { makeApprover, makeChallenge, makePairingRequest } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type InProcessHost, signingExtension, startInProcess, TEST_PORT } from "./lib/in-process.js";

/*
 * docs/protocol.md section 6.1: every answer of the signing host, whatever its status and
 * whoever refused it (route, guard, 404, fastify's body parser), carries the HMAC proof over
 * the client's nonce, method, path, status and exact body bytes.
 */

let host: InProcessHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

const approver = makeApprover();

type Request = Parameters<InProcessHost["inject"]>[0];

async function provenAnswer(h: InProcessHost, request: Request & { url: string }) {
  const nonce = newClientNonce();
  const response = await h.inject({ ...request, headers: { ...request.headers, [HOST_AUTH.nonceHeader]: nonce } });
  const proof = response.headers[HOST_AUTH.proofHeader] as string | undefined;
  const fields = {
    nonce,
    method: request.method ?? "POST",
    path: request.url,
    status: response.statusCode,
    body: Buffer.from(response.body, "utf8"),
  };
  return { response, proof, fields, valid: verifyHostAnswer(h.secret, fields, proof) };
}

describe("the host's proof on every answer", () => {
  it.each<[string, number, string, Request & { url: string }]>([
    ["GET /health", 200, "", { method: "GET", url: "/health" }],
    ["POST /sign approved", 200, "", { url: "/sign", body: { challenge: makeChallenge() } }],
    ["POST /pair paired", 200, "", { url: "/pair", body: { request: makePairingRequest() } }],
    ["a malformed body", 400, "ERR_MALFORMED", { url: "/sign", body: { challenge: { v: 1 } } }],
    ["invalid JSON", 400, "ERR_MALFORMED", { url: "/sign", payload: "{" }],
    ["an Origin header", 403, "ERR_ORIGIN_FORBIDDEN", { url: "/sign", headers: { origin: "https://evil.example" }, body: {} }],
    ["a foreign Host header", 403, "ERR_HOST_HEADER_FORBIDDEN", { method: "GET", url: "/health", headers: { host: "evil.example:7331" } }],
    ["a text/plain body", 415, "ERR_UNSUPPORTED_MEDIA_TYPE", { url: "/sign", headers: { "content-type": "text/plain" }, payload: "{}" }],
    ["an unknown endpoint", 404, "ERR_MALFORMED", { method: "GET", url: "/nope?x=1" }],
  ])("%s -> %i %s, proven", async (_what, status, code, request) => {
    host = await startInProcess();
    const signs = signingExtension(approver);
    host.answer = (message, reply) => {
      signs(message, reply);
      if (message.type === "status.request") {
        reply({
          type: "status.result",
          requestId: message.requestId,
          status: { keyPresent: true, kid: approver.kid, subject: "alice", keyPolicy: "persistent", pending: 0 },
        });
      }
    };
    const { response, proof, valid, fields } = await provenAnswer(host, request);
    expect(response.statusCode).toBe(status);
    if (code !== "") expect(response.json().error.code).toBe(code);
    expect(proof).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(valid).toBe(true);
    // The proof is bound to this exchange: the same answer for another nonce or status does not pass.
    expect(verifyHostAnswer(host.secret, { ...fields, nonce: newClientNonce() }, proof)).toBe(false);
    expect(verifyHostAnswer(host.secret, { ...fields, status: fields.status === 200 ? 503 : 200 }, proof)).toBe(false);
    expect(verifyHostAnswer(randomBytes(32), fields, proof)).toBe(false);
  });

  it("503 while the extension is not connected, proven", async () => {
    host = await startInProcess({ connected: false });
    const { response, valid } = await provenAnswer(host, { url: "/sign", body: { challenge: makeChallenge() } });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe("ERR_EXTENSION_NOT_CONNECTED");
    expect(valid).toBe(true);
  });

  it("no proof without a well-formed client nonce (none to bind it to)", async () => {
    host = await startInProcess({ connected: false });
    const bare = await host.inject({ method: "GET", url: "/health" });
    expect(bare.statusCode).toBe(200);
    expect(bare.headers[HOST_AUTH.proofHeader]).toBeUndefined();
    const short = await host.inject({ method: "GET", url: "/health", headers: { [HOST_AUTH.nonceHeader]: "abc" } });
    expect(short.headers[HOST_AUTH.proofHeader]).toBeUndefined();
  });

  it("refuses to start without a 32-byte secret", async () => {
    await expect(startInProcess({ server: { hostSecret: new Uint8Array(16) } })).rejects.toMatchObject({ code: "ERR_INTERNAL" });
  });

  it("answers on the port it was given (TEST_PORT) with the secret from a config dir set up like hitl setup", async () => {
    host = await startInProcess();
    expect(host.server.port).toBe(TEST_PORT);
    expect(host.secret).toHaveLength(32);
  });
});
