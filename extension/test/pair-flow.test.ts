import { confirmPairingCode, verifyPairing } from "@hitl/verifier";
import type { ExtensionToHost } from "@hitl/verifier/protocol";
import { beforeEach, describe, expect, test, vi } from "vitest";
import {
  answersTo,
  answerTo,
  type FakeNativePort,
  fromPage,
  handshake,
  type Profile,
  restartWorker,
  startConnected,
  type Worker,
  waitFor,
} from "./fake-browser/worker.js";
import { host, makePairingRequest, newRequestId, nowSeconds } from "./helpers/protocol-fixtures.js";

vi.mock("../src/lib/browser.js", () => import("./fake-browser/browser-module.js"));

/*
 * `hitl pair` through the real worker (index.ts, service.ts, pair-requests.ts, ui-router.ts) over
 * a fake browser: the pairing window opens, the human clicks Pair or Cancel or closes it, and the
 * signed pairing the host receives passes the real verifier. e2e/pairing.test.ts runs it in Chromium.
 */
let profile: Profile;
let worker: Worker;
let port: FakeNativePort;

beforeEach(async () => {
  ({ profile, worker, port } = await startConnected());
});

const REJECTED = "Pairing was cancelled in the browser; run `hitl pair` again and click Pair only if the codes match.";

async function pairingWindow(requestId: string): Promise<number> {
  await waitFor(() => expect(profile.browser.windows.forRequest(requestId)).toBeDefined());
  return profile.browser.windows.forRequest(requestId)!.id;
}

function pairingResult(message: ExtensionToHost) {
  if (message.type !== "pair.result") throw new Error(`expected pair.result, got ${JSON.stringify(message)}`);
  return message.pairing;
}

describe("pairing", () => {
  test("Pair: the window shows the request, the host gets a pairing the verifier accepts with the code the window shows", async () => {
    const id = newRequestId();
    const request = makePairingRequest({ subject: "alice" });
    port.hostSend(host.pairRequest(id, request));
    const windowId = await pairingWindow(id);
    const opened = profile.browser.windows.open.get(windowId)!;
    expect(opened).toMatchObject({ type: "popup", width: 460, height: 520, focusCount: 1 });
    expect(opened.url).toBe(`${profile.browser.runtime.getURL("src/pairing/pairing.html")}?request=${id}`);
    expect(profile.browser.action.badgeText).toBe("1");

    expect(await fromPage(profile, "pairing", { type: "pairing.get", requestId: id }, windowId)).toEqual({
      ok: true,
      value: { requestId: id, request, keyLifetime: "persistent" },
    });
    const decided = (await fromPage(profile, "pairing", { type: "pairing.decide", requestId: id, accept: true }, windowId)) as {
      ok: true;
      value: { confirmationCode: string };
    };
    expect(decided.ok).toBe(true);
    const awaiting = await verifyPairing(pairingResult(await answerTo(port, id)), request);
    const approver = confirmPairingCode(awaiting, decided.value.confirmationCode);
    expect(approver).toMatchObject({ sub: "alice", kid: worker.service.key?.kid });

    // The key and the identity are kept: the host hears the new status, the window stays open with its code.
    const update = port.posted.find((m) => (m as { type: string }).type === "status.update");
    expect(update).toEqual({
      type: "status.update",
      status: { keyPresent: true, keyPolicy: "persistent", pending: 0, kid: approver.kid, subject: "alice" },
    });
    expect(profile.browser.storage.local.data.get("hitl.identity")).toMatchObject({ subject: "alice", kid: approver.kid });
    expect(profile.browser.windows.open.has(windowId)).toBe(true);
    expect(profile.browser.action.badgeText).toBe("");

    // Only that window may close itself this way.
    expect(await fromPage(profile, "pairing", { type: "pairing.close" }, windowId)).toEqual({ ok: true, value: null });
    expect(profile.browser.windows.open.has(windowId)).toBe(false);
  });

  test("the persistent key outlives a worker restart; a session key does not (Firefox event page unloaded)", async () => {
    const first = newRequestId();
    port.hostSend(host.pairRequest(first, makePairingRequest()));
    await fromPage(profile, "pairing", { type: "pairing.decide", requestId: first, accept: true }, await pairingWindow(first));
    const kid = worker.service.key?.kid;
    worker = await restartWorker(worker);
    expect(worker.service.key?.kid).toBe(kid);

    port = await handshake(profile);
    const second = newRequestId();
    port.hostSend(host.pairRequest(second, makePairingRequest(), "session"));
    const windowId = await pairingWindow(second);
    // Another lifetime: a new key will be made, so no fingerprint is shown yet.
    expect(await fromPage(profile, "pairing", { type: "pairing.get", requestId: second }, windowId)).toMatchObject({
      ok: true,
      value: { keyLifetime: "session" },
    });
    await fromPage(profile, "pairing", { type: "pairing.decide", requestId: second, accept: true }, windowId);
    expect(worker.service.key).toMatchObject({ policy: "session" });
    expect(worker.service.key?.kid).not.toBe(kid);
    worker = await restartWorker(worker);
    expect(worker.service.key).toBeUndefined();
  });

  test("Cancel: ERR_PAIRING_REJECTED, the window closes, no key, no identity", async () => {
    const id = newRequestId();
    port.hostSend(host.pairRequest(id, makePairingRequest()));
    const windowId = await pairingWindow(id);
    expect(await fromPage(profile, "pairing", { type: "pairing.decide", requestId: id, accept: false }, windowId)).toEqual({
      ok: true,
      value: {},
    });
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: { code: "ERR_PAIRING_REJECTED", message: REJECTED },
    });
    expect(profile.browser.windows.open.has(windowId)).toBe(false);
    expect(worker.service.key).toBeUndefined();
    expect(profile.browser.storage.local.data.has("hitl.identity")).toBe(false);
  });

  test("closing the window is a Cancel", async () => {
    const id = newRequestId();
    port.hostSend(host.pairRequest(id, makePairingRequest()));
    profile.browser.windows.closeByUser(await pairingWindow(id));
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: { code: "ERR_PAIRING_REJECTED", message: REJECTED },
    });
    expect(worker.service.store.entries.size).toBe(0);
  });

  test("withdrawn by the host: the window closes and nothing is answered", async () => {
    const id = newRequestId();
    port.hostSend(host.pairRequest(id, makePairingRequest()));
    const windowId = await pairingWindow(id);
    port.hostSend(host.withdraw(id));
    await waitFor(() => expect(profile.browser.windows.open.has(windowId)).toBe(false));
    expect(answersTo(port, id)).toEqual([]);
    expect(await fromPage(profile, "pairing", { type: "pairing.decide", requestId: id, accept: true }, windowId)).toEqual({
      ok: false,
      error: { code: "ERR_WITHDRAWN", message: "This pairing request is no longer pending (answered, withdrawn or expired)." },
    });
  });

  test("an expired pairing request is refused without a window", async () => {
    const id = newRequestId();
    port.hostSend(host.pairRequest(id, makePairingRequest({ iat: nowSeconds() - 200, lifetimeSeconds: 100 })));
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: {
        code: "ERR_TIMEOUT",
        message: "The pairing request had already expired when it reached the browser; run `hitl pair` again.",
      },
    });
    expect(profile.browser.windows.created).toEqual([]);
  });

  test("the same request id twice: the second is refused as a duplicate, one window", async () => {
    const id = newRequestId();
    const request = makePairingRequest();
    port.hostSend(host.pairRequest(id, request));
    await pairingWindow(id);
    port.hostSend(host.pairRequest(id, makePairingRequest()));
    expect(await answerTo(port, id)).toEqual({
      type: "request.error",
      requestId: id,
      error: { code: "ERR_DUPLICATE_REQUEST", message: "This pairing request is already shown in the browser." },
    });
    expect(profile.browser.windows.created).toHaveLength(1);
  });

  test("re-sent by a restarted host under a new id: the open window answers the new id", async () => {
    const first = newRequestId();
    const request = makePairingRequest();
    port.hostSend(host.pairRequest(first, request));
    const windowId = await pairingWindow(first);
    port.hostClose();
    await waitFor(() => expect(profile.browser.runtime.nativePorts).toHaveLength(2));
    port = await handshake(profile);
    const second = newRequestId();
    port.hostSend(host.pairRequest(second, request));
    await waitFor(() => expect(worker.service.store.byRequestId(second)).toBeDefined());
    expect(profile.browser.windows.created).toHaveLength(1);
    await fromPage(profile, "pairing", { type: "pairing.decide", requestId: first, accept: true }, windowId);
    expect((await answerTo(port, second)).type).toBe("pair.result");
  });

  test("a pairing window cannot answer another window's request", async () => {
    const id = newRequestId();
    port.hostSend(host.pairRequest(id, makePairingRequest()));
    await pairingWindow(id);
    const other = await profile.browser.windows.create({ type: "popup" });
    expect(await fromPage(profile, "pairing", { type: "pairing.decide", requestId: id, accept: true }, other.id)).toEqual({
      ok: false,
      error: { code: "ERR_PROTOCOL", message: "A window can only answer the request it shows." },
    });
    expect(await fromPage(profile, "pairing", { type: "pairing.get", requestId: id }, other.id)).toEqual({
      ok: false,
      error: { code: "ERR_PROTOCOL", message: "A window can only show its own request." },
    });
    expect(answersTo(port, id)).toEqual([]);
  });
});
