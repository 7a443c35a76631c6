import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostSecret } from "@hitl/verifier";
import { EXTENSION_HELLO, makeApprover, makeChallenge, signReceipt } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHECK_INTERVAL_MS, HEADERS_TIMEOUT_MS, MAX_CONNECTIONS, REQUEST_TIMEOUT_MS } from "../src/http/lib/slow-clients.js";
import { BrowserSide, freePort } from "./lib/browser-side.js";
import { jsonPost, openRawConnection } from "./lib/http.js";

/*
 * Slow and half-open clients against a REAL host process (node signing-host/dist/main.js, real
 * stdio framing, real HTTP on a random port), with the shipped timeouts: headers 5 s, whole
 * request 10 s, 256 connections. The host's descriptors are counted in /proc/<pid>/fd.
 */

let stateDir: string;
let port: number;
let browser: BrowserSide | undefined;
const sockets: Socket[] = [];
const approver = makeApprover();

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "hitl-slow-"));
  await createHostSecret(join(stateDir, "config", "host-secret"));
  port = await freePort();
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await browser?.stop();
  browser = undefined;
  rmSync(stateDir, { recursive: true, force: true });
});

async function connect(): Promise<BrowserSide> {
  browser = BrowserSide.launch({ HITL_PORT: String(port), HITL_STATE_DIR: stateDir, HITL_CONFIG_DIR: join(stateDir, "config") });
  await browser.next("host.hello");
  browser.send(EXTENSION_HELLO);
  const deadline = Date.now() + 5_000;
  while (!readLog().includes("extension.connected")) {
    if (Date.now() > deadline) throw new Error("the host never processed extension.hello");
    await sleep(10);
  }
  return browser;
}

function readLog(): string {
  return readFileSync(join(stateDir, "signing-host.log"), "utf8");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function hostFds(): number {
  return readdirSync(`/proc/${browser!.child.pid}/fd`).length;
}

const openRaw = () => openRawConnection(port, sockets);

/** The JSON error of a raw HTTP answer. */
function errorOf(raw: string): { status: number; code: string; message: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
  const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } };
  return { status, ...body.error };
}

describe("slow clients", () => {
  it(`800 half-open requests (80 of them silent): at most ${MAX_CONNECTIONS} held, all closed after the headers timeout, descriptors back to baseline, a real request served meanwhile`, async () => {
    const browserSide = await connect();
    await sleep(200);
    const baseline = hostFds();
    const flood = await Promise.all(
      Array.from({ length: 800 }, async (_, i) => {
        const raw = await openRaw();
        // Headers never finished; every tenth connection sends nothing at all.
        if (i % 10 !== 0) raw.socket.write(`POST /sign HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n`);
        return raw;
      }),
    );
    const opened = Date.now();
    await sleep(300);
    const peak = hostFds();
    expect(peak - baseline).toBeLessThanOrEqual(MAX_CONNECTIONS + 4);

    // A real request during the flood: relayed, decided, answered.
    const challenge = makeChallenge();
    const answer = jsonPost(port, "/sign", { challenge });
    const request = await browserSide.next("sign.request");
    browserSide.send({
      type: "sign.result",
      requestId: request.requestId,
      receipt: signReceipt(challenge, approver, { decision: "approve" }),
    });
    expect((await answer).status).toBe(200);

    const closedAt = await Promise.all(flood.map((raw) => raw.closedAt));
    const last = Math.max(...closedAt) - opened;
    // Headers timeout + one check interval + slack for a loaded machine.
    expect(last).toBeLessThan(HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + 2_000);
    const answers = flood.map((raw) => errorOf(raw.received()));
    // The silent ones too: answered, then closed.
    expect(flood.filter((_, i) => i % 10 === 0).every((raw) => raw.received().startsWith("HTTP/1.1 "))).toBe(true);
    const evicted = answers.filter((a) => a.code === "ERR_TOO_MANY_CONNECTIONS");
    const timedOut = answers.filter((a) => a.code === "ERR_REQUEST_TOO_SLOW");
    expect(evicted.length + timedOut.length).toBe(800);
    expect(evicted.length).toBeGreaterThanOrEqual(800 - MAX_CONNECTIONS);
    expect(evicted[0]).toEqual({
      status: 503,
      code: "ERR_TOO_MANY_CONNECTIONS",
      message: `The signing host has ${MAX_CONNECTIONS} connections open, so this one (headers not complete) was closed. Retry; if it persists, a local program is flooding the signing host.`,
    });
    expect(timedOut[0]).toEqual({
      status: 408,
      code: "ERR_REQUEST_TOO_SLOW",
      message:
        "The request did not arrive in time (headers within 5 s, the whole request within 10 s); the signing host closed the connection. Send the whole request at once.",
    });
    // The log names the evictions in a few summary lines, not one line per connection.
    const summaries = readLog()
      .split("\n")
      .filter((line) => line.includes("http.connections-evicted"));
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(summaries.length).toBeLessThanOrEqual(10);
    expect(summaries.reduce((sum, line) => sum + Number(/ count=(\d+)/.exec(line)?.[1]), 0)).toBe(evicted.length);
    const deadline = Date.now() + 5_000;
    while (hostFds() > baseline && Date.now() < deadline) await sleep(50);
    expect(hostFds()).toBe(baseline);
    console.log(
      `fds: baseline ${baseline}, peak ${peak}; last half-open socket closed ${last} ms after the flood was open; ${evicted.length} evicted, ${timedOut.length} timed out`,
    );
  }, 30_000);

  it(`cuts a body that does not arrive within ${REQUEST_TIMEOUT_MS / 1000} s, keeps a prepared request whose body comes after the headers timeout, and never cuts a request waiting for the human`, async () => {
    const browserSide = await connect();
    const started = Date.now();

    // 1. Slow body: headers complete, 10 of 200 announced bytes, then nothing.
    const slow = await openRaw();
    slow.socket.write(
      `POST /sign HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"challeng`,
    );

    // 2. Prepared request (as `hitl request` opens it): headers now, the body after 6 s.
    const prepared = await openRaw();
    prepared.socket.write(
      `POST /sign HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nx-hitl-prepare: 1\r\n\r\n`,
    );
    const announced = await browserSide.next("sign.prepare");

    // 3. A complete request the human thinks about for 13 s.
    const thinking = makeChallenge();
    const thinkingAnswer = jsonPost(port, "/sign", { challenge: thinking });
    const thinkingRequest = await browserSide.next("sign.request");

    await sleep(HEADERS_TIMEOUT_MS + 1_000 - (Date.now() - started));
    const preparedChallenge = makeChallenge();
    const body = JSON.stringify({ challenge: preparedChallenge });
    prepared.socket.write(`${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    const preparedRequest = await browserSide.next("sign.request");
    expect(preparedRequest.requestId).toBe(announced.requestId);
    browserSide.send({
      type: "sign.result",
      requestId: preparedRequest.requestId,
      receipt: signReceipt(preparedChallenge, approver, { decision: "approve" }),
    });

    const slowClosed = (await slow.closedAt) - started;
    expect(slowClosed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(slowClosed).toBeLessThan(REQUEST_TIMEOUT_MS + 3_000);
    expect(errorOf(slow.received())).toEqual({
      status: 408,
      code: "ERR_REQUEST_TOO_SLOW",
      message:
        "The request did not arrive in time (headers within 5 s, the whole request within 10 s); the signing host closed the connection. Send the whole request at once.",
    });
    expect(slow.received()).not.toContain("receipt");
    await prepared.closedAt;
    expect(prepared.received()).toMatch(/^HTTP\/1\.1 200 OK/);

    await sleep(13_000 - (Date.now() - started));
    browserSide.send({
      type: "sign.result",
      requestId: thinkingRequest.requestId,
      receipt: signReceipt(thinking, approver, { decision: "approve" }),
    });
    const decided = await thinkingAnswer;
    expect(decided.status).toBe(200);
    expect(decided.json().receipt.challenge).toEqual(thinking);
    expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS + 2_000);
  }, 40_000);

  it("answers unparsable HTTP and oversized headers in the hitl error format, then closes", async () => {
    await connect();
    const garbage = await openRaw();
    garbage.socket.write("HELLO THERE\r\n\r\n");
    await garbage.closedAt;
    expect(errorOf(garbage.received())).toEqual({ status: 400, code: "ERR_MALFORMED", message: "The request is not valid HTTP/1.1." });
    const huge = await openRaw();
    huge.socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-pad: ${"a".repeat(20_000)}\r\n\r\n`);
    await huge.closedAt;
    expect(errorOf(huge.received())).toEqual({
      status: 413,
      code: "ERR_TOO_LARGE",
      message: "The request headers are too large; a hitl client sends a few short headers.",
    });
  });
});
