import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { EXTENSION_HELLO, makeChallenge } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createSigningServer, type SigningServer } from "../src/http/server.js";
import { ExtensionPort } from "../src/native/extension-port.js";
import { openRawConnection, type RawConnection } from "./lib/http.js";

/*
 * Which connection goes when the cap is reached, on a real listening server (real sockets) with a
 * cap of 3 and an extension link that never decides: unfinished headers first, then idle, then an
 * unfinished body; a complete request waiting for the human never.
 */

let server: SigningServer | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

type Raw = RawConnection;

async function open(port: number, bytes?: string): Promise<Raw> {
  const raw = await openRawConnection(port, sockets);
  if (bytes !== undefined) raw.socket.write(bytes);
  return raw;
}

async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached within 3 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The reason in the last answer on `raw` (an idle connection got an earlier answer first). */
function evictedAs(raw: Raw): string | undefined {
  const last = raw.received().slice(raw.received().lastIndexOf("HTTP/1.1 "));
  const error = (JSON.parse(last.slice(last.indexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } }).error;
  expect(last).toMatch(/^HTTP\/1\.1 503 /);
  expect(error.code).toBe("ERR_TOO_MANY_CONNECTIONS");
  return /this one \(([^)]+)\)/.exec(error.message)?.[1];
}

describe("connection cap", () => {
  it("evicts unfinished headers first, then idle, then an unfinished body; never a complete request", async () => {
    const sent: string[] = [];
    const extension = new ExtensionPort({ send: (message) => void sent.push(message.type), handshakeTimeoutMs: 60_000 });
    extension.receive(EXTENSION_HELLO);
    server = await createSigningServer({ port: 0, extension, maxConnections: 3, hostSecret: randomBytes(32) });
    const port = await server.listen();
    const head = (path: string, extra = "") => `${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}`;

    // A: a complete request, waiting for the human.
    const body = JSON.stringify({ challenge: makeChallenge() });
    const waiting = await open(
      port,
      `${head("POST /sign", `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`)}\r\n${body}`,
    );
    await until(() => sent.includes("sign.request"));
    // B: headers done, body unfinished.
    const slowBody = await open(port, `${head("POST /sign", "Content-Type: application/json\r\nContent-Length: 500\r\n")}\r\n{"chall`);
    // C: answered once (404), now idle (keep-alive).
    const idle = await open(port, `${head("GET /nothing-here")}\r\n`);
    await until(() => idle.received().includes("ERR_MALFORMED"));

    // D: a fourth connection. Nobody is mid-headers, so the idle one goes and D is served.
    const fourth = await open(port, `${head("GET /nothing-here", "Connection: close\r\n")}\r\n`);
    await idle.closedAt;
    expect(evictedAs(idle)).toBe("idle");
    await fourth.closedAt;
    expect(fourth.received()).toMatch(/^HTTP\/1\.1 404 /);

    // E mid-headers, then F: E (older, mid-headers) goes, not F.
    const midHeaders = await open(port, "POST /sign HTTP/1.1\r\nHost: 1");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sixth = await open(port, `${head("GET /nothing-here", "Connection: close\r\n")}\r\n`);
    await midHeaders.closedAt;
    expect(evictedAs(midHeaders)).toBe("headers not complete");
    await sixth.closedAt;
    expect(sixth.received()).toMatch(/^HTTP\/1\.1 404 /);

    // G with an unfinished body too, then H: the oldest unfinished body (B) goes.
    const secondSlowBody = await open(port, `${head("POST /sign", "Content-Type: application/json\r\nContent-Length: 500\r\n")}\r\n{"ch`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const last = await open(port);
    await slowBody.closedAt;
    expect(evictedAs(slowBody)).toBe("body still arriving");

    // The complete request was never touched, nor the younger unfinished body.
    expect(waiting.socket.destroyed).toBe(false);
    expect(waiting.received()).toBe("");
    expect(secondSlowBody.socket.destroyed).toBe(false);
    expect(last.socket.destroyed).toBe(false);
    expect(server.pendingCount).toBe(1);
  });
});
