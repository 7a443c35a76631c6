import { getEventListeners } from "node:events";
import type { HitlError, HostToExtension } from "@hitl/verifier/protocol";
import { EXTENSION_HELLO, makeApprover, makeChallenge, makePairingRequest, signReceipt } from "@hitl/verifier/testing";
import { describe, expect, it } from "vitest";
import { ExtensionPort, MAX_PREPARED } from "../src/native/extension-port.js";

function makePort(options: { handshakeTimeoutMs?: number; failSend?: boolean } = {}) {
  const sent: HostToExtension[] = [];
  const closed: Array<HitlError | undefined> = [];
  const port = new ExtensionPort({
    send: (message) => {
      if (options.failSend === true) throw new Error("EPIPE");
      sent.push(message);
    },
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 60_000,
    onClose: (reason) => closed.push(reason),
  });
  return { port, sent, closed };
}

const HELLO = { hostVersion: "0.1.0", port: 7331, pid: 1 };
const SIGN_DISCONNECTED =
  "The browser side of the signing host went away while the approval request was pending (the extension's service worker stopped or the browser closed); nothing was signed here. The approval window stays open: hitl request re-sends the same challenge when the browser reconnects; other clients should re-send it too.";
const approver = makeApprover();

describe("ExtensionPort state machine", () => {
  it("sends host.hello on open and moves waiting-for-hello -> connected -> closed", () => {
    const { port, sent, closed } = makePort();
    expect(port.state).toBe("waiting-for-hello");
    port.open(HELLO);
    expect(sent).toEqual([{ type: "host.hello", ...HELLO }]);
    port.receive(EXTENSION_HELLO);
    expect(port.state).toBe("connected");
    expect(port.info).toEqual({ extensionVersion: "0.1.0", browser: "chromium", status: EXTENSION_HELLO.status });
    port.close();
    expect(port.state).toBe("closed");
    expect(closed).toEqual([undefined]);
    port.close();
    expect(closed).toHaveLength(1);
  });

  it("closes with ERR_PROTOCOL when extension.hello does not arrive in time", async () => {
    const { port, closed } = makePort({ handshakeTimeoutMs: 50 });
    port.open(HELLO);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(port.state).toBe("closed");
    expect(closed[0]).toMatchObject({
      code: "ERR_PROTOCOL",
      message: "The extension did not answer host.hello within 50 ms; reload the hitl extension so it reconnects.",
    });
  });

  it("does not time out once the handshake completed", async () => {
    const { port } = makePort({ handshakeTimeoutMs: 30 });
    port.open(HELLO);
    port.receive(EXTENSION_HELLO);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(port.state).toBe("connected");
  });

  it("fails requests with ERR_EXTENSION_NOT_CONNECTED before the hello and after close", async () => {
    const { port, sent } = makePort();
    port.open(HELLO);
    await expect(port.sign(makeChallenge(), { timeoutMs: 1000 })).rejects.toMatchObject({
      code: "ERR_EXTENSION_NOT_CONNECTED",
      message: "The hitl extension has not finished connecting to the signing host; wait a moment and retry, or reload the extension.",
    });
    port.receive(EXTENSION_HELLO);
    port.close();
    await expect(port.sign(makeChallenge(), { timeoutMs: 1000 })).rejects.toMatchObject({
      code: "ERR_EXTENSION_NOT_CONNECTED",
      message: "The hitl extension is not connected to the signing host; open the browser with the hitl extension enabled, then retry.",
    });
    expect(sent.map((m) => m.type)).toEqual(["host.hello"]);
  });

  it("ignores answers before the hello", () => {
    const { port } = makePort();
    port.receive({ type: "status.update", status: { keyPresent: true, keyPolicy: "persistent", pending: 0 } });
    expect(port.state).toBe("waiting-for-hello");
    expect(port.info).toBeUndefined();
  });
});

describe("ExtensionPort requests", () => {
  function connected() {
    const made = makePort();
    made.port.open(HELLO);
    made.port.receive(EXTENSION_HELLO);
    return made;
  }

  it("correlates answers by requestId, whatever the order", async () => {
    const { port, sent } = connected();
    const first = makeChallenge();
    const second = makeChallenge();
    const a = port.sign(first, { timeoutMs: 5000 });
    const b = port.sign(second, { timeoutMs: 5000 });
    const [ra, rb] = sent.filter((m) => m.type === "sign.request") as Array<Extract<HostToExtension, { type: "sign.request" }>>;
    expect(ra!.requestId).not.toBe(rb!.requestId);
    port.receive({ type: "sign.result", requestId: rb!.requestId, receipt: signReceipt(second, approver, { decision: "deny" }) });
    port.receive({ type: "sign.result", requestId: ra!.requestId, receipt: signReceipt(first, approver, { decision: "approve" }) });
    expect((await a).statement.decision).toBe("approve");
    expect((await b).statement.decision).toBe("deny");
    expect(port.pendingCount).toBe(0);
  });

  it("fails a request at once when the extension sends an invalid answer naming it; other requests live on", async () => {
    const { port, sent } = connected();
    const challenge = makeChallenge();
    const broken = port.sign(challenge, { timeoutMs: 5000 });
    const healthy = port.sign(makeChallenge(), { timeoutMs: 5000 });
    const [brokenRequest, healthyRequest] = sent.filter((m) => m.type === "sign.request") as Array<
      Extract<HostToExtension, { type: "sign.request" }>
    >;
    port.receive({ type: "sign.result", requestId: brokenRequest!.requestId, receipt: { nonsense: true } });
    await expect(broken).rejects.toMatchObject({
      code: "ERR_PROTOCOL",
      message:
        "The extension sent an invalid answer (ERR_MALFORMED: message.receipt.nonsense is not a known field (unknown fields are rejected, not ignored).); nothing was relayed. Update the extension and the signing host to matching versions.",
    });
    // Invalid messages that name no pending request are ignored; the port stays up.
    port.receive({ type: "bogus" });
    port.receive(null);
    expect(port.state).toBe("connected");
    port.receive({ type: "request.error", requestId: healthyRequest!.requestId, error: { code: "ERR_NO_KEY", message: "no key" } });
    await expect(healthy).rejects.toMatchObject({ code: "ERR_NO_KEY", message: "no key" });
  });

  it("fails a request answered with the wrong message type", async () => {
    const { port, sent } = connected();
    const pending = port.sign(makeChallenge(), { timeoutMs: 5000 });
    const request = sent.find((m) => m.type === "sign.request") as Extract<HostToExtension, { type: "sign.request" }>;
    port.receive({
      type: "status.result",
      requestId: request.requestId,
      status: { keyPresent: true, keyPolicy: "persistent", pending: 1 },
    });
    await expect(pending).rejects.toMatchObject({
      code: "ERR_PROTOCOL",
      message: "The extension answered a request with status.result instead of sign.result; nothing was relayed.",
    });
  });

  it("withdraws on abort, removes its listener, and ignores the late answer", async () => {
    const { port, sent } = connected();
    const controller = new AbortController();
    const challenge = makeChallenge();
    const pending = port.sign(challenge, { timeoutMs: 5000, signal: controller.signal });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({
      code: "ERR_WITHDRAWN",
      message: "The request was withdrawn because the client went away; nothing was signed.",
    });
    const request = sent.find((m) => m.type === "sign.request") as Extract<HostToExtension, { type: "sign.request" }>;
    expect(sent.at(-1)).toEqual({ type: "request.withdraw", requestId: request.requestId });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(port.pendingCount).toBe(0);
    port.receive({ type: "sign.result", requestId: request.requestId, receipt: signReceipt(challenge, approver, { decision: "approve" }) });
    expect(port.state).toBe("connected");
  });

  it("removes the abort listener after a normal answer too", async () => {
    const { port, sent } = connected();
    const controller = new AbortController();
    const challenge = makeChallenge();
    const pending = port.sign(challenge, { timeoutMs: 5000, signal: controller.signal });
    const request = sent.find((m) => m.type === "sign.request") as Extract<HostToExtension, { type: "sign.request" }>;
    port.receive({ type: "sign.result", requestId: request.requestId, receipt: signReceipt(challenge, approver, { decision: "approve" }) });
    await pending;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
    expect(sent.map((m) => m.type)).not.toContain("request.withdraw");
  });

  it("times out with ERR_TIMEOUT and withdraws", async () => {
    const { port, sent } = connected();
    await expect(port.sign(makeChallenge(), { timeoutMs: 30 })).rejects.toMatchObject({ code: "ERR_TIMEOUT" });
    expect(sent.at(-1)?.type).toBe("request.withdraw");
  });

  it("rejects every pending request with ERR_EXTENSION_DISCONNECTED when closed, worded per kind", async () => {
    const { port } = connected();
    const sign = port.sign(makeChallenge(), { timeoutMs: 5000 });
    const pair = port.pair(makePairingRequest(), undefined, { timeoutMs: 5000 });
    const status = port.status({ timeoutMs: 5000 });
    expect(port.pendingCount).toBe(3);
    port.close();
    await expect(sign).rejects.toMatchObject({
      code: "ERR_EXTENSION_DISCONNECTED",
      message: SIGN_DISCONNECTED,
    });
    await expect(pair).rejects.toMatchObject({
      code: "ERR_EXTENSION_DISCONNECTED",
      message:
        "The browser side of the signing host went away while the pairing request was pending (the extension's service worker stopped or the browser closed); nothing was paired. Run 'hitl pair' again once the browser is running with the hitl extension.",
    });
    await expect(status).rejects.toMatchObject({
      code: "ERR_EXTENSION_DISCONNECTED",
      message: "The browser side of the signing host went away while its status was being asked; it is not connected now.",
    });
    expect(port.pendingCount).toBe(0);
    // A request arriving after the close was never delivered: that stays "not connected".
    await expect(port.sign(makeChallenge(), { timeoutMs: 5000 })).rejects.toMatchObject({ code: "ERR_EXTENSION_NOT_CONNECTED" });
  });

  it("shares one status round trip between concurrent callers and keeps status.update", async () => {
    const { port, sent } = connected();
    const a = port.status({ timeoutMs: 5000 });
    const b = port.status({ timeoutMs: 5000 });
    const requests = sent.filter((m) => m.type === "status.request") as Array<Extract<HostToExtension, { type: "status.request" }>>;
    expect(requests).toHaveLength(1);
    port.receive({
      type: "status.result",
      requestId: requests[0]!.requestId,
      status: { keyPresent: true, keyPolicy: "session", pending: 3, kid: approver.kid, subject: "alice" },
    });
    expect(await a).toEqual(await b);
    expect((await a).status).toEqual({ keyPresent: true, keyPolicy: "session", pending: 3, kid: approver.kid, subject: "alice" });
    port.receive({ type: "status.update", status: { keyPresent: false, keyPolicy: "session", pending: 0 } });
    expect(port.info?.status.keyPresent).toBe(false);
  });

  it("closes when the browser side cannot be written to", () => {
    const { port, closed } = makePort({ failSend: true });
    port.open(HELLO);
    expect(port.state).toBe("closed");
    expect(closed[0]).toMatchObject({
      code: "ERR_EXTENSION_NOT_CONNECTED",
      message: "Writing to the browser failed; the native-messaging connection is gone.",
    });
  });
});

describe("ExtensionPort sign.prepare (a window opened while the body is on its way)", () => {
  it("announces an id, and the sign.request that follows uses it", async () => {
    const { port, sent } = makePort();
    port.open(HELLO);
    port.receive(EXTENSION_HELLO);
    const id = port.prepareSign();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sent.at(-1)).toEqual({ type: "sign.prepare", requestId: id });
    const challenge = makeChallenge();
    const signing = port.sign(challenge, { timeoutMs: 5_000, preparedId: id });
    expect(sent.at(-1)).toEqual({ type: "sign.request", requestId: id, challenge });
    port.receive({ type: "sign.result", requestId: id, receipt: signReceipt(challenge, approver, { decision: "approve" }) });
    expect((await signing).statement.decision).toBe("approve");
    // Used once: releasing it afterwards withdraws nothing.
    port.releasePrepared(id!);
    expect(sent.filter((m) => m.type === "request.withdraw")).toEqual([]);
  });

  it("withdraws a prepared id whose request never came, once", () => {
    const { port, sent } = makePort();
    port.open(HELLO);
    port.receive(EXTENSION_HELLO);
    const id = port.prepareSign()!;
    port.releasePrepared(id);
    port.releasePrepared(id);
    expect(sent.filter((m) => m.type === "request.withdraw")).toEqual([{ type: "request.withdraw", requestId: id }]);
  });

  it("never lends an id twice or one it did not announce: such a sign.request gets a fresh id", async () => {
    const { port, sent } = makePort();
    port.open(HELLO);
    port.receive(EXTENSION_HELLO);
    const id = port.prepareSign()!;
    const first = port.sign(makeChallenge(), { timeoutMs: 5_000, preparedId: id });
    const second = port.sign(makeChallenge(), { timeoutMs: 5_000, preparedId: id });
    const third = port.sign(makeChallenge(), { timeoutMs: 5_000, preparedId: "5b2a3c4d-1e2f-4a5b-8c6d-7e8f9a0b1c2d" });
    const ids = sent.filter((m) => m.type === "sign.request").map((m) => m.requestId);
    expect(ids[0]).toBe(id);
    expect(ids[1]).not.toBe(id);
    expect(ids[2]).not.toBe("5b2a3c4d-1e2f-4a5b-8c6d-7e8f9a0b1c2d");
    expect(new Set(ids).size).toBe(3);
    port.close();
    await Promise.allSettled([first, second, third]);
  });

  it(`prepares at most ${MAX_PREPARED} windows at once, and none before the hello or after close`, () => {
    const { port, sent } = makePort();
    port.open(HELLO);
    expect(port.prepareSign()).toBeUndefined();
    port.receive(EXTENSION_HELLO);
    const ids = Array.from({ length: MAX_PREPARED + 1 }, () => port.prepareSign());
    expect(ids.slice(0, MAX_PREPARED).every((id) => id !== undefined)).toBe(true);
    expect(ids[MAX_PREPARED]).toBeUndefined();
    expect(sent.filter((m) => m.type === "sign.prepare")).toHaveLength(MAX_PREPARED);
    port.releasePrepared(ids[0]!);
    expect(port.prepareSign()).toBeDefined();
    port.close();
    expect(port.prepareSign()).toBeUndefined();
  });

  it("tells the extension to withdraw a prepared request whose client is already gone", async () => {
    const { port, sent } = makePort();
    port.open(HELLO);
    port.receive(EXTENSION_HELLO);
    const id = port.prepareSign()!;
    const controller = new AbortController();
    controller.abort();
    await expect(port.sign(makeChallenge(), { timeoutMs: 5_000, preparedId: id, signal: controller.signal })).rejects.toMatchObject({
      code: "ERR_WITHDRAWN",
    });
    expect(sent.at(-1)).toEqual({ type: "request.withdraw", requestId: id });
  });
});
