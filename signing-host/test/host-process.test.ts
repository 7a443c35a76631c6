import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect as connectTcp, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostSecret } from "@hitl/verifier";
import { LIMITS } from "@hitl/verifier/protocol";
import {
  EXTENSION_HELLO,
  makeApprover,
  makeChallenge,
  makePairingRequest,
  receiptSignedBy,
  signPairing,
  signReceipt,
} from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BrowserSide, freePort } from "./lib/browser-side.js";
import { jsonPost, rawRequest } from "./lib/http.js";

/*
 * A real host process (node signing-host/dist/main.js), real stdio framing, real HTTP on a random
 * port, an isolated HITL_STATE_DIR. The test plays the browser and the extension.
 */

let stateDir: string;
let port: number;
const browsers: BrowserSide[] = [];
const servers: Server[] = [];
const approver = makeApprover();

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "hitl-host-"));
  // The host secret where `hitl setup` puts it, in the config dir the host is started with.
  await createHostSecret(join(stateDir, "config", "host-secret"));
  port = await freePort();
});

afterEach(async () => {
  for (const browser of browsers.splice(0)) await browser.stop();
  for (const server of servers.splice(0)) server.close();
  rmSync(stateDir, { recursive: true, force: true });
});

function launch(env: Record<string, string> = {}): BrowserSide {
  const browser = BrowserSide.launch({
    HITL_PORT: String(port),
    HITL_STATE_DIR: stateDir,
    HITL_CONFIG_DIR: join(stateDir, "config"),
    ...env,
  });
  browsers.push(browser);
  return browser;
}

/** Launch, wait for host.hello, answer extension.hello. */
async function connect(): Promise<BrowserSide> {
  const browser = launch();
  const hello = await browser.next("host.hello");
  expect(hello).toEqual({ type: "host.hello", hostVersion: "0.1.0", port, pid: browser.child.pid });
  browser.send(EXTENSION_HELLO);
  await handshakeDone();
  return browser;
}

/** The host logs extension.connected when it has processed extension.hello. */
async function handshakeDone(): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!readLog().includes("extension.connected")) {
    if (Date.now() > deadline) throw new Error("the host never processed extension.hello");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function readLog(): string {
  return readFileSync(join(stateDir, "signing-host.log"), "utf8");
}

describe("signing host process", () => {
  it("relays POST /sign (made with fetch) to the browser and returns the signed receipt", async () => {
    const browser = await connect();
    const challenge = makeChallenge({ action: { summary: "supprimer /tmp/testfile — 削除 🗑️", details: { path: "/tmp/testfile" } } });
    const response = fetch(`http://127.0.0.1:${port}/sign`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ challenge }),
    });
    const request = await browser.next("sign.request");
    expect(request.challenge).toEqual(challenge);
    const receipt = signReceipt(challenge, approver, { decision: "approve" });
    browser.send({ type: "sign.result", requestId: request.requestId, receipt });
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const body = (await answer.json()) as { receipt: typeof receipt };
    expect(body).toEqual({ receipt });
    expect(receiptSignedBy(body.receipt, approver)).toBe(true);

    const log = readLog();
    expect(log).toContain(`challengeId="${challenge.id}"`);
    expect(log).toContain('launchedBy="chromium" callerOrigin="chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/"');
    expect(log).not.toContain(receipt.sig);
    expect(log).not.toContain(challenge.nonce);
    expect(log).not.toContain("/tmp/testfile");
  });

  it("relays POST /pair", async () => {
    const browser = await connect();
    const pairingRequest = makePairingRequest();
    const response = jsonPost(port, "/pair", { request: pairingRequest });
    const request = await browser.next("pair.request");
    expect(request.request).toEqual(pairingRequest);
    const pairing = signPairing(pairingRequest, approver);
    browser.send({ type: "pair.result", requestId: request.requestId, pairing });
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ pairing });
  });

  it("reports the true state on GET /health", async () => {
    const browser = launch();
    await browser.next("host.hello");
    const before = await rawRequest(port, { method: "GET", path: "/health" });
    expect(before.status).toBe(200);
    expect(before.json()).toEqual({ host: { version: "0.1.0", pid: browser.child.pid, port }, extension: { connected: false } });

    browser.send(EXTENSION_HELLO);
    await handshakeDone();
    const health = rawRequest(port, { method: "GET", path: "/health" });
    const status = await browser.next("status.request");
    browser.send({
      type: "status.result",
      requestId: status.requestId,
      status: { keyPresent: true, keyPolicy: "persistent", pending: 0, kid: approver.kid, subject: "alice" },
    });
    expect((await health).json().extension).toEqual({
      connected: true,
      extensionVersion: "0.1.0",
      browser: "chromium",
      keyPresent: true,
      keyPolicy: "persistent",
      pending: 0,
      kid: approver.kid,
      subject: "alice",
    });

    // Connected but silent: not healthy.
    const silent = await rawRequest(port, { method: "GET", path: "/health" });
    expect(silent.status).toBe(503);
    expect(silent.json().error).toMatchObject({ code: "ERR_TIMEOUT", message: expect.stringContaining("did not answer") });
  });

  it("sends request.withdraw when the HTTP client disconnects", async () => {
    const browser = await connect();
    const controller = new AbortController();
    const challenge = makeChallenge();
    const response = jsonPost(port, "/sign", { challenge }, controller.signal);
    const request = await browser.next("sign.request");
    controller.abort();
    await expect(response).rejects.toThrow();
    const withdraw = await browser.next("request.withdraw");
    expect(withdraw).toEqual({ type: "request.withdraw", requestId: request.requestId });
    expect(readLog()).toContain(`request.withdrawn requestId="${request.requestId as string}" reason="client-disconnected"`);
    // The pending entry was dropped: the same challenge is not a duplicate any more.
    const retry = jsonPost(port, "/sign", { challenge });
    const again = await browser.next("sign.request");
    expect(again.requestId).not.toBe(request.requestId);
    browser.send({ type: "sign.result", requestId: again.requestId, receipt: signReceipt(challenge, approver, { decision: "approve" }) });
    expect((await retry).status).toBe(200);
  });

  it("announces a POST /sign with x-hitl-prepare from its headers, and withdraws it when the client leaves before the body", async () => {
    const browser = await connect();
    const socket = connectTcp(port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      `POST /sign HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nx-hitl-prepare: 1\r\n\r\n`,
    );
    const prepare = await browser.next("sign.prepare");
    expect(prepare).toEqual({ type: "sign.prepare", requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    socket.destroy();
    expect(await browser.next("request.withdraw")).toEqual({ type: "request.withdraw", requestId: prepare.requestId });
    expect(readLog()).toContain(`sign.prepared requestId="${prepare.requestId as string}"`);
    expect(readLog()).toContain(`request.withdrawn requestId="${prepare.requestId as string}" reason="prepared-request-not-sent"`);
  });

  it("answers 408 ERR_TIMEOUT when the challenge expires without a decision", async () => {
    const browser = await connect();
    // At least one whole second left, wherever in the current second we are.
    const now = Math.floor(Date.now() / 1000);
    const challenge = makeChallenge({ iat: now, exp: now + 2 });
    const started = Date.now();
    const response = await jsonPost(port, "/sign", { challenge });
    expect(response.status).toBe(408);
    expect(response.json().error).toEqual({
      code: "ERR_TIMEOUT",
      message:
        "No decision was made before the challenge expired; nothing was signed. Ask again, with a longer timeout if the approver needs more time.",
    });
    expect(Date.now()).toBeGreaterThanOrEqual(challenge.exp * 1000);
    expect(Date.now() - started).toBeLessThan(6_500); // exp (<= 2 s) + 2 s grace + slack
    const request = await browser.next("sign.request");
    expect(await browser.next("request.withdraw")).toEqual({ type: "request.withdraw", requestId: request.requestId });
  });

  it("refuses web pages and rebinding over real HTTP (Origin, Host, content type, body size)", async () => {
    const browser = await connect();
    const body = JSON.stringify({ challenge: makeChallenge() });
    const origin = await rawRequest(port, { headers: { "content-type": "application/json", origin: "https://evil.example" }, body });
    expect([origin.status, origin.json().error.code]).toEqual([403, "ERR_ORIGIN_FORBIDDEN"]);
    const rebinding = await rawRequest(port, { headers: { host: `evil.example:${port}`, "content-type": "application/json" }, body });
    expect([rebinding.status, rebinding.json().error.code]).toEqual([403, "ERR_HOST_HEADER_FORBIDDEN"]);
    const simple = await rawRequest(port, { headers: { "content-type": "text/plain" }, body });
    expect([simple.status, simple.json().error.code]).toEqual([415, "ERR_UNSUPPORTED_MEDIA_TYPE"]);
    const large = await rawRequest(port, {
      headers: { "content-type": "application/json" },
      body: `{"challenge":"${"x".repeat(LIMITS.receiptBytes)}"}`,
    });
    expect([large.status, large.json().error.code]).toEqual([413, "ERR_TOO_LARGE"]);
    for (const response of [origin, rebinding, simple, large]) expect(response.headers["cache-control"]).toBe("no-store");
    expect(browser.received.filter((m) => m.type === "sign.request")).toEqual([]);
  });

  it("is reachable on 127.0.0.1 only", async () => {
    await connect();
    const { networkInterfaces } = await import("node:os");
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === "IPv4" && !a.internal);
    const { connect: tcpConnect } = await import("node:net");
    for (const address of ["::1", ...(external === undefined ? [] : [external.address])]) {
      const socket = tcpConnect({ host: address, port });
      const [error] = (await once(socket, "error")) as [NodeJS.ErrnoException];
      expect(error.code, address).toMatch(/ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH/);
    }
  });

  it("says clearly when the port is taken: host.error ERR_PORT_IN_USE, then a non-zero exit", async () => {
    const squatter = createServer();
    servers.push(squatter);
    squatter.listen(port, "127.0.0.1");
    await once(squatter, "listening");
    const browser = launch();
    const error = await browser.next("host.error");
    expect(error).toEqual({
      type: "host.error",
      error: {
        code: "ERR_PORT_IN_USE",
        message: `Port ${port} on 127.0.0.1 is already in use (another hitl signing host or another program), so the signing host cannot start. Stop that program, or choose another port with HITL_PORT in the environment the browser starts from, and use the same HITL_PORT (or --port) with hitl.`,
      },
    });
    expect((await browser.exited()).code).toBe(1);
    expect(browser.received.map((m) => m.type)).not.toContain("host.hello");
    expect(readLog()).toContain('host.cannot-start code="ERR_PORT_IN_USE"');
  });

  it("reports a malformed HITL_PORT as host.error ERR_CONFIG", async () => {
    const browser = launch({ HITL_PORT: "73x1" });
    expect(await browser.next("host.error")).toEqual({
      type: "host.error",
      error: {
        code: "ERR_CONFIG",
        message: 'HITL_PORT must be a port number from 1 to 65535, but it is "73x1"; fix it in the environment the browser starts from.',
      },
    });
    expect((await browser.exited()).code).toBe(1);
  });

  it("exits 0 and frees the port when the browser closes stdin; pending requests get 503 ERR_EXTENSION_DISCONNECTED", async () => {
    const browser = await connect();
    const pending = jsonPost(port, "/sign", { challenge: makeChallenge() });
    await browser.next("sign.request");
    browser.child.stdin.end();
    const answer = await pending;
    expect(answer.status).toBe(503);
    expect(answer.json().error).toMatchObject({
      code: "ERR_EXTENSION_DISCONNECTED",
      message: expect.stringContaining("hitl request re-sends the same challenge when the browser reconnects"),
    });
    expect(readLog()).toMatch(/extension\.port-closed .*pending=1/);
    expect(await browser.exited()).toEqual({ code: 0, signal: null });
    expect(browser.leftoverBytes).toBe(0);
    const rebound = createServer();
    servers.push(rebound);
    rebound.listen(port, "127.0.0.1");
    await once(rebound, "listening");
  });

  it("closes the link and exits non-zero on an oversized frame from the browser", async () => {
    const browser = await connect();
    const header = Buffer.alloc(4);
    header.writeUInt32LE(LIMITS.nativeMessageBytes + 1, 0);
    browser.sendRaw(header);
    expect((await browser.exited()).code).toBe(1);
    expect(readLog()).toContain('native.frame-error code="ERR_NATIVE_MESSAGE_TOO_LARGE"');
  });

  it("ignores invalid JSON and invalid messages from the browser and keeps serving", async () => {
    const browser = await connect();
    const junk = Buffer.from("{junk", "utf8");
    const header = Buffer.alloc(4);
    header.writeUInt32LE(junk.length, 0);
    browser.sendRaw(Buffer.concat([header, junk]));
    browser.send({ type: "sign.result", requestId: "not-a-uuid", receipt: {} });
    const challenge = makeChallenge();
    const response = jsonPost(port, "/sign", { challenge });
    const request = await browser.next("sign.request");
    browser.send({ type: "sign.result", requestId: request.requestId, receipt: signReceipt(challenge, approver, { decision: "deny" }) });
    expect((await response).status).toBe(200);
    const log = readLog();
    expect(log).toContain('native.frame-error code="ERR_MALFORMED"');
    expect(log).toContain("extension.invalid-message");
  });
});
