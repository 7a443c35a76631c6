import { confirmPairingCode, LocalKeyDirectory, verifyPairing, verifyReceipt } from "@hitl/verifier";
import { type Challenge, decodeBase64url, type ExtensionToHost, type Receipt } from "@hitl/verifier/protocol";
import { beforeEach, describe, expect, test, vi } from "vitest";
import { MAX_OPEN_WINDOWS } from "../src/background/sign-requests.js";
import { SESSION_KEY_ENDED_MESSAGE } from "../src/lib/memory-key.js";
import {
  answersTo,
  answerTo,
  type FakeNativePort,
  fromPage,
  handshake,
  type Profile,
  restartWorker,
  startConnected,
  startWorker,
  type Worker,
  waitFor,
} from "./fake-browser/worker.js";
import { digestOfChallenge, host, makeChallenge, makePairingRequest, newRequestId, nowSeconds } from "./helpers/protocol-fixtures.js";

vi.mock("../src/lib/browser.js", () => import("./fake-browser/browser-module.js"));

/*
 * An approval through the real worker (index.ts, service.ts, sign-requests.ts, ui-router.ts,
 * pending.ts) over a fake browser: from the host's sign.request to the window that opens, the
 * click, and the signed receipt the host receives, checked by the real verifier. Restarts of
 * the host and of the worker included. e2e/decisions.test.ts runs the same in Chromium.
 */
let profile: Profile;
let worker: Worker;
let port: FakeNativePort;
let keys: LocalKeyDirectory;

const GONE = "This request is no longer pending (decided, withdrawn or expired).";

async function pair(): Promise<void> {
  const id = newRequestId();
  const request = makePairingRequest({ subject: "alice" });
  port.hostSend(host.pairRequest(id, request));
  const windowId = await windowOf(id);
  const decided = (await fromPage(profile, "pairing", { type: "pairing.decide", requestId: id, accept: true }, windowId)) as {
    value: { confirmationCode: string };
  };
  const answer = await answerTo(port, id);
  if (answer.type !== "pair.result") throw new Error("pairing failed");
  const approver = confirmPairingCode(await verifyPairing(answer.pairing, request), decided.value.confirmationCode);
  keys = LocalKeyDirectory.fromPublicKey(approver.sub, decodeBase64url(approver.publicKey));
  await fromPage(profile, "pairing", { type: "pairing.close" }, windowId);
}

async function windowOf(requestId: string): Promise<number> {
  await waitFor(() => expect(profile.browser.windows.forRequest(requestId)).toBeDefined());
  return profile.browser.windows.forRequest(requestId)!.id;
}

function receiptOf(message: ExtensionToHost): Receipt {
  if (message.type !== "sign.result") throw new Error(`expected sign.result, got ${JSON.stringify(message)}`);
  return message.receipt;
}

/** A challenge arrives; resolves with its window once the worker recorded it. */
async function request(challenge: Challenge, requestId = newRequestId()): Promise<{ requestId: string; windowId: number }> {
  port.hostSend(host.signRequest(requestId, challenge));
  const windowId = await windowOf(requestId);
  await waitFor(() => expect(worker.service.store.entries.get(requestId)?.windowId).toBe(windowId));
  return { requestId, windowId };
}

function decide(requestId: string, windowId: number, decision: "approve" | "deny", shownDigest: string) {
  return fromPage(profile, "approval", { type: "approval.decide", requestId, decision, shownDigest }, windowId);
}

beforeEach(async () => {
  ({ profile, worker, port } = await startConnected());
  await pair();
});

describe("approval", () => {
  test("the window shows the stored challenge; Approve signs a receipt the verifier accepts, answers the host, closes the window", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    const opened = profile.browser.windows.open.get(windowId)!;
    expect(opened).toMatchObject({ type: "popup", width: 520, height: 680 });
    expect(opened.url).toBe(`${profile.browser.runtime.getURL("src/approval/approval.html")}?request=${requestId}`);
    expect(profile.browser.action.badgeText).toBe("1");

    const view = await fromPage(profile, "approval", { type: "approval.get", requestId }, windowId);
    expect(view).toEqual({
      ok: true,
      value: { requestId, challenge, digest: digestOfChallenge(challenge), subject: "alice", fingerprint: expect.any(String) },
    });
    expect(await decide(requestId, windowId, "approve", digestOfChallenge(challenge))).toEqual({ ok: true, value: null });

    const receipt = receiptOf(await answerTo(port, requestId));
    const verified = await verifyReceipt(receipt, { aud: challenge.aud, challenge }, { keys, nonces: "offline-audit" });
    expect(verified.approver.sub).toBe("alice");
    expect(receipt.statement.decision).toBe("approve");
    expect(profile.browser.windows.open.has(windowId)).toBe(false);
    expect(profile.browser.action.badgeText).toBe("");
    expect(profile.browser.storage.local.data.get("hitl.history")).toEqual([
      expect.objectContaining({ outcome: "approved", summary: challenge.action.summary }),
      expect.objectContaining({ outcome: "paired" }),
    ]);
    // Decided once: a second click finds nothing.
    expect(await decide(requestId, windowId, "approve", digestOfChallenge(challenge))).toEqual({
      ok: false,
      error: { code: "ERR_WITHDRAWN", message: GONE },
    });
    expect(answersTo(port, requestId)).toHaveLength(1);
  });

  test("Deny signs a deny, which the verifier refuses as ERR_DENIED", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    await decide(requestId, windowId, "deny", digestOfChallenge(challenge));
    const receipt = receiptOf(await answerTo(port, requestId));
    expect(receipt.statement.decision).toBe("deny");
    await expect(verifyReceipt(receipt, { aud: challenge.aud, challenge }, { keys, nonces: "offline-audit" })).rejects.toMatchObject({
      code: "ERR_DENIED",
    });
  });

  test("closing the window is a signed deny", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    profile.browser.windows.closeByUser(windowId);
    expect(receiptOf(await answerTo(port, requestId)).statement.decision).toBe("deny");
  });

  test("a page that rendered another challenge cannot decide (ERR_CHALLENGE_MISMATCH); the request stays pending", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    expect(await decide(requestId, windowId, "approve", digestOfChallenge(makeChallenge()))).toEqual({
      ok: false,
      error: {
        code: "ERR_CHALLENGE_MISMATCH",
        message: "The window showed a different challenge than the one pending; nothing was signed.",
      },
    });
    expect(answersTo(port, requestId)).toEqual([]);
    expect(worker.service.store.entries.has(requestId)).toBe(true);
  });

  test("one approval window cannot read or decide another window's request", async () => {
    const first = await request(makeChallenge());
    const second = makeChallenge();
    const other = await request(second);
    expect(await fromPage(profile, "approval", { type: "approval.get", requestId: other.requestId }, first.windowId)).toEqual({
      ok: false,
      error: { code: "ERR_PROTOCOL", message: "A window can only show its own request." },
    });
    expect(await decide(other.requestId, first.windowId, "approve", digestOfChallenge(second))).toEqual({
      ok: false,
      error: { code: "ERR_PROTOCOL", message: "A window can only decide the request it shows." },
    });
    expect(answersTo(port, other.requestId)).toEqual([]);
  });

  test("withdrawn by the host: the window closes, nothing is signed", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    port.hostSend(host.withdraw(requestId));
    await waitFor(() => expect(profile.browser.windows.open.has(windowId)).toBe(false));
    expect(answersTo(port, requestId)).toEqual([]);
    expect(await decide(requestId, windowId, "approve", digestOfChallenge(challenge))).toMatchObject({ error: { code: "ERR_WITHDRAWN" } });
  });

  test("sign.prepare opens the window early; the sign.request adopts it (one window)", async () => {
    const requestId = newRequestId();
    port.hostSend(host.signPrepare(requestId));
    const windowId = await windowOf(requestId);
    const challenge = makeChallenge();
    port.hostSend(host.signRequest(requestId, challenge));
    // The page asks before the challenge is recorded: the answer waits for it.
    const view = await fromPage(profile, "approval", { type: "approval.get", requestId }, windowId);
    expect(view).toMatchObject({ ok: true, value: { requestId, challenge } });
    expect(profile.browser.windows.created.filter((w) => w.url.includes("approval"))).toHaveLength(1);
    await decide(requestId, windowId, "approve", digestOfChallenge(challenge));
    expect(receiptOf(await answerTo(port, requestId)).statement.decision).toBe("approve");
  });

  test("status.request is answered with the worker's status", async () => {
    await request(makeChallenge());
    const id = newRequestId();
    port.hostSend(host.status(id));
    expect(await answerTo(port, id)).toEqual({
      type: "status.result",
      requestId: id,
      status: { keyPresent: true, keyPolicy: "persistent", pending: 1, kid: worker.service.key?.kid, subject: "alice" },
    });
  });
});

describe("refused before any window opens", () => {
  test("not paired: ERR_NO_KEY", async () => {
    ({ profile, worker, port } = await startConnected());
    const id = newRequestId();
    port.hostSend(host.signRequest(id, makeChallenge()));
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: { code: "ERR_NO_KEY", message: "The browser extension has no signing key yet: pair first: run `hitl pair`." },
    });
    expect(profile.browser.windows.created).toEqual([]);
  });

  test("the challenge expired on the way: ERR_TIMEOUT", async () => {
    const id = newRequestId();
    const before = profile.browser.windows.created.length;
    port.hostSend(host.signRequest(id, makeChallenge({ iat: nowSeconds() - 300, lifetimeSeconds: 60 })));
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: {
        code: "ERR_TIMEOUT",
        message: "The challenge had already expired when it reached the browser; check the system clock and run the request again.",
      },
    });
    expect(profile.browser.windows.created).toHaveLength(before);
  });

  test("the same challenge again on the same connection: ERR_DUPLICATE_REQUEST", async () => {
    const challenge = makeChallenge();
    await request(challenge);
    const again = newRequestId();
    port.hostSend(host.signRequest(again, challenge));
    expect(await answerTo(port, again)).toEqual({
      type: "request.error",
      requestId: again,
      error: {
        code: "ERR_DUPLICATE_REQUEST",
        message: "This challenge already waits for a decision in the browser; make a new challenge for a new request.",
      },
    });
  });

  test(`more than ${MAX_OPEN_WINDOWS} waiting: ERR_TOO_MANY_PENDING`, async () => {
    for (let i = 0; i < MAX_OPEN_WINDOWS; i++) await request(makeChallenge());
    const id = newRequestId();
    const before = profile.browser.windows.created.length;
    port.hostSend(host.signRequest(id, makeChallenge()));
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: {
        code: "ERR_TOO_MANY_PENDING",
        message: `The browser already shows ${MAX_OPEN_WINDOWS} requests; decide those first (or deny them all from the hitl toolbar popup), then retry.`,
      },
    });
    expect(profile.browser.windows.created).toHaveLength(before);
  });
});

describe("while the host is away, and across restarts", () => {
  test("a decision made while the host is disconnected is queued and sent after the next handshake", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    port.hostClose();
    await decide(requestId, windowId, "approve", digestOfChallenge(challenge));
    expect(worker.service.store.outbox).toEqual([expect.objectContaining({ type: "sign.result", requestId })]);
    await waitFor(() => expect(profile.browser.runtime.nativePorts).toHaveLength(2));
    const next = await handshake(profile);
    const receipt = receiptOf(await answerTo(next, requestId));
    await verifyReceipt(receipt, { aud: challenge.aud, challenge }, { keys, nonces: "offline-audit" });
    // extension.hello first, then the queued answer.
    expect((next.posted[0] as { type: string }).type).toBe("extension.hello");
    expect(worker.service.store.outbox).toEqual([]);
  });

  test("the host restarted and re-sends the same challenge: the open window answers the new id; after a decision, the receipt is re-sent", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    port.hostClose();
    await waitFor(() => expect(profile.browser.runtime.nativePorts).toHaveLength(2));
    port = await handshake(profile);
    const resent = newRequestId();
    port.hostSend(host.signRequest(resent, challenge));
    await waitFor(() => expect(worker.service.store.byRequestId(resent)).toBeDefined());
    expect(profile.browser.windows.open.get(windowId)?.focusCount).toBe(2);
    await decide(requestId, windowId, "approve", digestOfChallenge(challenge));
    const receipt = receiptOf(await answerTo(port, resent));

    // The host restarts again before its client read the answer: the same receipt, not a new signature.
    port.hostClose();
    await waitFor(() => expect(profile.browser.runtime.nativePorts).toHaveLength(3));
    port = await handshake(profile);
    const third = newRequestId();
    port.hostSend(host.signRequest(third, challenge));
    expect(receiptOf(await answerTo(port, third))).toEqual(receipt);
  });

  test("the worker restarts while a request waits: the window keeps it and can still decide it", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    worker = await restartWorker(worker);
    port = await handshake(profile);
    expect(worker.service.store.entries.get(requestId)).toMatchObject({ windowId, challenge });
    await decide(requestId, windowId, "approve", digestOfChallenge(challenge));
    await verifyReceipt(receiptOf(await answerTo(port, requestId)), { aud: challenge.aud, challenge }, { keys, nonces: "offline-audit" });
  });

  test("the window was closed while the worker was stopped: the restart answers with a signed deny", async () => {
    const challenge = makeChallenge();
    const { requestId, windowId } = await request(challenge);
    profile.browser.stopWorker();
    profile.browser.windows.closeByUser(windowId);
    worker = await startWorker(profile);
    port = await handshake(profile);
    expect(receiptOf(await answerTo(port, requestId)).statement.decision).toBe("deny");
  });

  test("stored state corrupted across a restart: the lost request is answered ERR_INTERNAL and its window closed", async () => {
    const { requestId, windowId } = await request(makeChallenge());
    const kept = await request(makeChallenge());
    await worker.service.store.save();
    profile.browser.stopWorker();
    const snapshot = profile.browser.storage.session.data.get("hitl.pending") as {
      entries: Array<{ challenge: { action: { summary: string } } }>;
    };
    snapshot.entries[0]!.challenge.action.summary = "something the human never saw";
    worker = await startWorker(profile);
    port = await handshake(profile);
    expect(await answerTo(port, requestId)).toEqual({
      type: "request.error",
      requestId,
      error: { code: "ERR_INTERNAL", message: "The browser extension lost this request's state when it restarted; run the request again." },
    });
    expect(profile.browser.windows.open.has(windowId)).toBe(false);
    expect(profile.browser.windows.open.has(kept.windowId)).toBe(true);
    expect([...worker.service.store.entries.keys()]).toEqual([kept.requestId]);
  });

  test("a challenge that expires while its window is open: ERR_TIMEOUT, the window closes", async () => {
    const challenge = makeChallenge({ iat: nowSeconds() - 57, lifetimeSeconds: 60 });
    const { requestId, windowId } = await request(challenge);
    const answer = await waitFor(() => {
      const [only] = answersTo(port, requestId);
      if (only === undefined) throw new Error("not yet");
      return only;
    });
    expect(answer).toEqual({
      type: "request.error",
      requestId,
      error: {
        code: "ERR_TIMEOUT",
        message: "Nobody decided before the challenge expired; run the request again (give more time with --timeout).",
      },
    });
    await waitFor(() => expect(profile.browser.windows.open.has(windowId)).toBe(false));
  });
});

describe("more of the request's life", () => {
  test("answers made while the host is away are kept in storage.session, survive a worker restart, and go out in order after extension.hello", async () => {
    const a = makeChallenge();
    const first = await request(a);
    const b = makeChallenge();
    const second = await request(b);
    port.hostClose();
    await decide(first.requestId, first.windowId, "approve", digestOfChallenge(a));
    profile.browser.windows.closeByUser(second.windowId);
    await waitFor(() => expect(worker.service.store.outbox).toHaveLength(2));
    await worker.service.store.save();
    const stored = profile.browser.storage.session.data.get("hitl.pending") as { outbox: Array<{ requestId: string }> };
    expect(stored.outbox.map((m) => m.requestId)).toEqual([first.requestId, second.requestId]);

    worker = await restartWorker(worker);
    const next = await handshake(profile);
    await waitFor(() => expect(next.posted).toHaveLength(3));
    expect(next.posted.map((m) => (m as { type: string }).type)).toEqual(["extension.hello", "sign.result", "sign.result"]);
    expect(next.posted.slice(1).map((m) => (m as { requestId: string }).requestId)).toEqual([first.requestId, second.requestId]);
    expect(receiptOf(answersTo(next, second.requestId)[0]!).statement.decision).toBe("deny");
    expect(worker.service.store.outbox).toEqual([]);
  });

  test("a window opened on sign.prepare and closed before its challenge decides nothing; the challenge opens a new window", async () => {
    const requestId = newRequestId();
    port.hostSend(host.signPrepare(requestId));
    const early = await windowOf(requestId);
    profile.browser.windows.closeByUser(early);
    await waitFor(() => expect(worker.service.prepared.size).toBe(0));
    expect(answersTo(port, requestId)).toEqual([]);
    const challenge = makeChallenge();
    port.hostSend(host.signRequest(requestId, challenge));
    const windowId = await windowOf(requestId);
    expect(windowId).not.toBe(early);
    await waitFor(() => expect(worker.service.store.entries.get(requestId)?.windowId).toBe(windowId));
    await decide(requestId, windowId, "approve", digestOfChallenge(challenge));
    expect(receiptOf(await answerTo(port, requestId)).statement.decision).toBe("approve");
  });

  test("sign.prepare withdrawn before its challenge: the empty window closes, nothing is answered", async () => {
    const requestId = newRequestId();
    port.hostSend(host.signPrepare(requestId));
    const early = await windowOf(requestId);
    port.hostSend(host.withdraw(requestId));
    await waitFor(() => expect(profile.browser.windows.open.has(early)).toBe(false));
    expect(answersTo(port, requestId)).toEqual([]);
  });

  test("sign.prepare before pairing opens nothing; the challenge is then refused with ERR_NO_KEY", async () => {
    ({ profile, worker, port } = await startConnected());
    const requestId = newRequestId();
    port.hostSend(host.signPrepare(requestId));
    port.hostSend(host.signRequest(requestId, makeChallenge()));
    expect((await answerTo(port, requestId)).type).toBe("request.error");
    expect(profile.browser.windows.created).toEqual([]);
  });

  test("a session key ends with the event page: a later challenge is refused with ERR_SESSION_KEY_ENDED, no window", async () => {
    const id = newRequestId();
    port.hostSend(host.pairRequest(id, makePairingRequest(), "session"));
    await fromPage(profile, "pairing", { type: "pairing.decide", requestId: id, accept: true }, await windowOf(id));
    worker = await restartWorker(worker);
    port = await handshake(profile);
    const before = profile.browser.windows.created.length;
    const requestId = newRequestId();
    port.hostSend(host.signRequest(requestId, makeChallenge()));
    expect(await answerTo(port, requestId)).toEqual({
      type: "request.error",
      requestId,
      error: { code: "ERR_SESSION_KEY_ENDED", message: SESSION_KEY_ENDED_MESSAGE },
    });
    expect(profile.browser.windows.created).toHaveLength(before);
  });
});

describe("the toolbar popup", () => {
  test("Deny all answers every waiting approval with a signed deny and refuses a waiting pairing", async () => {
    const a = await request(makeChallenge());
    const b = await request(makeChallenge());
    const pairing = newRequestId();
    port.hostSend(host.pairRequest(pairing, makePairingRequest()));
    await windowOf(pairing);
    expect(await fromPage(profile, "popup", { type: "popup.denyAll" })).toEqual({
      ok: true,
      value: { denied: 2, refused: 1, emptied: 0, skipped: 0 },
    });
    for (const { requestId } of [a, b]) expect(receiptOf(await answerTo(port, requestId)).statement.decision).toBe("deny");
    expect((await answerTo(port, pairing)).type).toBe("request.error");
    expect(profile.browser.windows.open.size).toBe(0);
  });

  test("popup.status reports the key, the pairing, the host connection and the history", async () => {
    await request(makeChallenge());
    const status = (await fromPage(profile, "popup", { type: "popup.status" })) as { ok: true; value: Record<string, unknown> };
    expect(status.value).toMatchObject({
      keyPresent: true,
      keyPolicy: "persistent",
      subject: "alice",
      pairedKidMismatch: false,
      host: { state: "connected", hostVersion: "0.1.0", port: 7331 },
      pending: 1,
      history: [expect.objectContaining({ outcome: "paired" })],
    });
  });
});
