import type { CDPSession } from "playwright-core";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { createChallenge } from "../cli/dist/index.js";
import type { Receipt } from "../verifier/dist/protocol/index.js";
import { type BrowserSession, challengeDigest, clickButton, EXTENSION_ID, httpJson, launchSession, pairBrowser } from "./harness/index.js";

/*
 * MV3 may stop the extension's service worker at any time. A request shown before the stop must
 * still be decided correctly after it: the pending challenge is persisted, the worker rebuilds its
 * state when the click wakes it, and the native port reconnects. Stopping the worker closes its
 * native port, so the browser's host process ends and a new one starts with the worker; the
 * requester re-sends the same challenge to it, and the extension recognises it by its digest.
 */
let session: BrowserSession;
let cdp: CDPSession;
const workerStates: string[] = [];

beforeAll(async () => {
  session = await launchSession();
  await pairBrowser(session, "alice");
  const page = session.context.pages()[0] ?? (await session.context.newPage());
  cdp = await session.context.newCDPSession(page);
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    for (const version of versions)
      if (version.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`)) workerStates.push(version.runningStatus);
  });
  await cdp.send("ServiceWorker.enable");
});
beforeEach(async () => {
  await session.waitForHealth((h) => h.extension.connected);
});
afterAll(async () => {
  await session?.close();
});

/** Really terminate the extension's worker (what Chrome does to an idle worker), and see it stop. */
async function stopServiceWorker(): Promise<void> {
  workerStates.length = 0;
  await cdp.send("ServiceWorker.stopAllWorkers");
  await expect.poll(() => workerStates.includes("stopped"), { timeout: 10_000 }).toBe(true);
}

function postSign(challenge: ReturnType<typeof createChallenge>) {
  return httpJson(session.port, "POST", "/sign", { challenge }, 120_000);
}

test("restart, click, re-send: the answer is the receipt signed in the window, for exactly its challenge", async () => {
  const challenge = createChallenge({ action: { summary: "survive a worker restart" }, ttlSeconds: 120 });
  const first = postSign(challenge);
  const page = await session.nextWindow("approval");
  await stopServiceWorker();

  // The worker took the native port down with it: the host that held the request is gone.
  expect(await first).toMatchObject({ status: 503, body: { error: { code: "ERR_EXTENSION_NOT_CONNECTED" } } });
  expect(page.isClosed()).toBe(false);

  // The click wakes the worker, which rebuilds the request from storage.session and signs it.
  const closed = page.waitForEvent("close");
  await clickButton(page, "Approve");
  await closed;
  expect(workerStates.at(-1)).toBe("running");
  await session.waitForHealth((h) => h.extension.connected);

  const again = await postSign(challenge);
  expect(again.status).toBe(200);
  const receipt = (again.body as { receipt: Receipt }).receipt;
  expect(receipt.challenge).toEqual(challenge);
  expect(receipt.statement).toMatchObject({ decision: "approve", sub: "alice", challenge: challengeDigest(challenge) });
  expect(session.windows.pendingCount("approval")).toBe(0);
});

test("restart, re-send before the click: the same window stays and decides the re-sent request", async () => {
  const challenge = createChallenge({ action: { summary: "re-sent before the click" }, ttlSeconds: 120 });
  const first = postSign(challenge);
  const page = await session.nextWindow("approval");
  await stopServiceWorker();
  expect((await first).status).toBe(503);

  // Something else wakes the worker first (here: the toolbar popup); the port reconnects.
  const popup = await session.context.newPage();
  await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
  await session.waitForHealth((h) => h.extension.connected && h.extension.pending === 1);

  const second = postSign(challenge);
  await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 1 });
  expect(session.windows.pendingCount("approval")).toBe(0); // no second window for the same challenge
  await clickButton(page, "Deny");
  const answer = await second;
  expect(answer.status).toBe(200);
  const receipt = (answer.body as { receipt: Receipt }).receipt;
  expect(receipt.statement).toMatchObject({ decision: "deny", challenge: challengeDigest(challenge) });
  await popup.close();
});

test("restart, then the window is closed: the close still signs a deny", async () => {
  const challenge = createChallenge({ action: { summary: "closed after a restart" }, ttlSeconds: 120 });
  const first = postSign(challenge);
  const page = await session.nextWindow("approval");
  await stopServiceWorker();
  expect((await first).status).toBe(503);
  await page.close(); // windows.onRemoved wakes the worker
  await session.waitForHealth((h) => h.extension.connected);
  const again = await postSign(challenge);
  expect(again.status).toBe(200);
  expect((again.body as { receipt: Receipt }).receipt.statement).toMatchObject({ decision: "deny", challenge: challengeDigest(challenge) });
});

test("restart with an unanswered request: expiry still closes the window and nothing is signed", async () => {
  const challenge = createChallenge({ action: { summary: "expires across a restart" }, ttlSeconds: 5 });
  const first = postSign(challenge);
  const page = await session.nextWindow("approval");
  const closed = page.waitForEvent("close", { timeout: 15_000 });
  await stopServiceWorker();
  expect((await first).status).toBe(503);
  // Reopening the popup wakes the worker; it re-arms the expiry from the stored challenge.
  const popup = await session.context.newPage();
  await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
  await closed;
  await session.waitForHealth((h) => h.extension.connected && h.extension.pending === 0);
  const again = await postSign(challenge);
  expect(again.status).toBeGreaterThanOrEqual(400);
  expect(again.body).toMatchObject({ error: { code: expect.stringMatching(/^ERR_(TIMEOUT|EXPIRED|MALFORMED)$/) } });
  await popup.close();
});
