import type { CDPSession, Page } from "playwright-core";
import { beforeAll, beforeEach, expect, test } from "vitest";
import { createChallenge } from "../cli/dist/index.js";
import type { Receipt } from "../verifier/dist/protocol/index.js";
import type { HttpAnswer } from "./harness/http.js";
import { challengeDigest, clickButton, EXTENSION_ID, expectSignedDecision, httpJson, sharedSession } from "./harness/index.js";

/*
 * MV3 may stop the extension's service worker at any time. A request shown before the stop must
 * still be decided correctly after it: the pending challenge is persisted, the worker rebuilds its
 * state when the click wakes it, and the native port reconnects. Stopping the worker closes its
 * native port, so the browser's host process ends (answering 503 ERR_EXTENSION_DISCONNECTED) and
 * a new one starts with the worker; the requester re-sends the same challenge to it, and the
 * extension recognises it by its digest. The first tests play the requester with raw HTTP, to
 * pin each order of events; the last ones run the real `hitl request`, which re-sends by itself.
 */
const session = sharedSession({ pairAs: "alice" });
let cdp: CDPSession;
const workerStates: string[] = [];

beforeAll(async () => {
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

/** Really terminate the extension's worker (what Chrome does to an idle worker), and see it stop. */
async function stopServiceWorker(): Promise<void> {
  workerStates.length = 0;
  await cdp.send("ServiceWorker.stopAllWorkers");
  await expect.poll(() => workerStates.includes("stopped"), { timeout: 10_000 }).toBe(true);
}

type Challenge = ReturnType<typeof createChallenge>;

function postSign(challenge: Challenge) {
  return httpJson(session.port, "POST", "/sign", { challenge }, 120_000);
}

/**
 * A request shown in its window, then the worker stopped under it: the host that held the request
 * went with the worker's native port, so the requester's first POST /sign got 503
 * ERR_EXTENSION_DISCONNECTED. The requester's re-send is the test's.
 */
async function shownThenWorkerStopped(summary: string): Promise<{ challenge: Challenge; page: Page }> {
  const challenge = createChallenge({ action: { summary }, ttlSeconds: 120 });
  const first = postSign(challenge);
  const page = await session.nextWindow("approval");
  await stopServiceWorker();
  expect(await first).toMatchObject({
    status: 503,
    body: { error: { code: "ERR_EXTENSION_DISCONNECTED", message: expect.stringContaining("re-sends the same challenge") } },
  });
  return { challenge, page };
}

/** Open the toolbar popup: something other than the approval window that wakes the worker. */
async function openPopup(): Promise<Page> {
  const popup = await session.context.newPage();
  await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
  return popup;
}

/** The host's answer is 200 with a receipt signing `decision` over exactly `challenge`. */
function expectReceipt(answer: HttpAnswer, challenge: Challenge, statement: { decision: "approve" | "deny"; sub?: string }): void {
  expect(answer.status).toBe(200);
  const receipt = (answer.body as { receipt: Receipt }).receipt;
  expect(receipt.challenge).toEqual(challenge);
  expect(receipt.statement).toMatchObject({ ...statement, challenge: challengeDigest(challenge) });
}

test("restart, click, re-send: the answer is the receipt signed in the window, for exactly its challenge", async () => {
  const { challenge, page } = await shownThenWorkerStopped("survive a worker restart");
  expect(page.isClosed()).toBe(false);

  // The click wakes the worker, which rebuilds the request from storage.session and signs it.
  const closed = page.waitForEvent("close");
  await clickButton(page, "Approve");
  await closed;
  expect(workerStates.at(-1)).toBe("running");
  await session.waitForHealth((h) => h.extension.connected);

  expectReceipt(await postSign(challenge), challenge, { decision: "approve", sub: "alice" });
  expect(session.windows.pendingCount("approval")).toBe(0);
});

test("restart, re-send before the click: the same window stays and decides the re-sent request", async () => {
  const { challenge, page } = await shownThenWorkerStopped("re-sent before the click");

  // Something else wakes the worker first (here: the toolbar popup); the port reconnects.
  const popup = await openPopup();
  await session.waitForHealth((h) => h.extension.connected && h.extension.pending === 1);

  const second = postSign(challenge);
  await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 1 });
  expect(session.windows.pendingCount("approval")).toBe(0); // no second window for the same challenge
  await clickButton(page, "Deny");
  expectReceipt(await second, challenge, { decision: "deny" });
  await popup.close();
});

test("restart, then the window is closed: the close still signs a deny", async () => {
  const { challenge, page } = await shownThenWorkerStopped("closed after a restart");
  await page.close(); // windows.onRemoved wakes the worker
  await session.waitForHealth((h) => h.extension.connected);
  expectReceipt(await postSign(challenge), challenge, { decision: "deny" });
});

test("restart with an unanswered request: expiry still closes the window and nothing is signed", async () => {
  const challenge = createChallenge({ action: { summary: "expires across a restart" }, ttlSeconds: 5 });
  const first = postSign(challenge);
  const page = await session.nextWindow("approval");
  const closed = page.waitForEvent("close", { timeout: 15_000 });
  await stopServiceWorker();
  expect(await first).toMatchObject({ status: 503, body: { error: { code: "ERR_EXTENSION_DISCONNECTED" } } });
  // Reopening the popup wakes the worker; it re-arms the expiry from the stored challenge.
  const popup = await openPopup();
  await closed;
  await session.waitForHealth((h) => h.extension.connected && h.extension.pending === 0);
  const again = await postSign(challenge);
  expect(again.status).toBeGreaterThanOrEqual(400);
  expect(again.body).toMatchObject({ error: { code: expect.stringMatching(/^ERR_(TIMEOUT|EXPIRED|MALFORMED)$/) } });
  await popup.close();
});

test("restart, woken by something else, click before the re-send: the re-send still gets the signed receipt", async () => {
  const { challenge, page } = await shownThenWorkerStopped("decided before the re-send");

  // The popup wakes the worker and a new host connects before anyone re-sends the challenge.
  const popup = await openPopup();
  await session.waitForHealth((h) => h.extension.connected && h.extension.pending === 1);
  // The click's answer is addressed to the old host's request: nobody waits for it any more.
  const closed = page.waitForEvent("close");
  await clickButton(page, "Approve");
  await closed;
  await session.waitForHealth((h) => h.extension.connected && h.extension.pending === 0);

  expectReceipt(await postSign(challenge), challenge, { decision: "approve", sub: "alice" });
  await popup.close();
});

test("hitl request: service-worker restart between request and click, then Approve -> exit 0", async () => {
  const run = session.hitl(["request", "--action", "survive a worker restart", "--json", "--timeout", "120"]);
  const page = await session.nextWindow("approval", { run });
  const shown = await page.locator("#summary").textContent();
  await stopServiceWorker();
  // The CLI is re-sending to a port where nothing listens now; it must not give up.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(run.output()).toBe("");
  expect(page.isClosed()).toBe(false);

  // Only the click wakes the worker; it reconnects, the browser starts a new host, the CLI's
  // re-sent challenge gets the receipt signed in this window.
  await clickButton(page, "Approve");
  const { receipt } = expectSignedDecision(await run.done, { decision: "approve", sub: "alice", summary: "survive a worker restart" });
  expect(shown).toContain("survive a worker restart");
  expect(receipt.statement).toMatchObject({ sub: "alice" });
  expect(workerStates.at(-1)).toBe("running");
  expect(session.windows.pendingCount("approval")).toBe(0);
});

test("hitl request: service-worker restart, then the window is closed -> signed deny, exit 1", async () => {
  const run = session.hitl(["request", "--action", "closed after a restart, via the CLI", "--json", "--timeout", "120"]);
  const page = await session.nextWindow("approval", { run });
  await stopServiceWorker();
  await page.close(); // windows.onRemoved wakes the worker: a signed deny for exactly this challenge
  expectSignedDecision(await run.done, { decision: "deny", sub: "alice", summary: "closed after a restart, via the CLI" });
});
