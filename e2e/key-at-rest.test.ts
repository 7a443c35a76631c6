import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CDPSession } from "playwright-core";
import { describe, expect, test } from "vitest";
import { formatFingerprint } from "../verifier/dist/protocol/index.js";
import {
  approveRequest,
  type BrowserSession,
  clickButton,
  confirmationCodeIn,
  EXTENSION_ID,
  type JsonOutcome,
  pairBrowser,
  parseJsonOutcome,
  sharedSession,
} from "./harness/index.js";
import { expectSessionKeyEnded, type PairedKey, pairedKey, seedsOf, seedsWhileStopped } from "./harness/key-at-rest.js";
import { forgeApproval, scanForEd25519Seeds } from "./harness/key-scan.js";

/*
 * Key at rest, Chromium. A persistent key is a CryptoKey in the extension's IndexedDB: its seed
 * lies in the profile in the clear, and a receipt forged with it verifies (the control, which also
 * proves the scan finds what it looks for). A session key lives in the offscreen document's heap
 * only: no file under the profile holds it, while the browser runs or after it quit; it survives
 * service-worker restarts; after a browser restart it is gone and requests fail closed with
 * ERR_SESSION_KEY_ENDED until `hitl pair` makes a new one.
 */
async function approveOnce(session: BrowserSession, summary: string): Promise<JsonOutcome> {
  const result = await approveRequest(session, summary, ["--json"]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return parseJsonOutcome(result);
}

describe("persistent key (control)", () => {
  const session = sharedSession();

  test("its seed is in the profile on disk after a quit, and a receipt forged with it verifies", async () => {
    const key = pairedKey(parseJsonOutcome((await pairBrowser(session, "alice")).result));
    expect((await session.health()).extension).toMatchObject({ keyPresent: true, kid: key.kid, keyPolicy: "persistent" });
    await approveOnce(session, "persistent key, used once");

    const found = seedsOf(await seedsWhileStopped(session, session.userDataDir), key);
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((f) => f.file).every((file) => file.includes(join("IndexedDB", `chrome-extension_${EXTENSION_ID}_0`)))).toBe(true);
    const forged = await forgeApproval(found[0]!.seed, join(session.configDir, "approvers.json"), "forged from the profile");
    expect(forged).toMatchObject({ approver: { sub: "alice", kid: key.kid }, receipt: { statement: { decision: "approve" } } });

    // And it is kept across the restart, as documented.
    expect((await session.health()).extension).toMatchObject({ keyPresent: true, kid: key.kid, keyPolicy: "persistent" });
  });
});

describe("session key", () => {
  const session = sharedSession();
  let key: PairedKey;
  let cdp: CDPSession;

  test("hitl pair --key-lifetime session: the window says so; health, doctor and the popup show the lifetime; approve works", async () => {
    const run = session.hitl(["pair", "--name", "alice", "--json", "--timeout", "60", "--key-lifetime", "session"], { stdin: "pipe" });
    const window = await session.nextWindow("pairing", { run });
    await expect
      .poll(() => window.locator("#details").textContent())
      .toContain("session: kept in memory only, never on disk; ends when the browser quits");
    await window.getByRole("button", { name: "Pair", exact: true }).click();
    run.type(`${await confirmationCodeIn(window)}\n`);
    const paired = await run.done;
    expect(paired.code, paired.stdout + paired.stderr).toBe(0);
    await clickButton(window, "Close");
    key = pairedKey(parseJsonOutcome(paired));
    expect((await session.health()).extension).toMatchObject({ keyPresent: true, kid: key.kid, keyPolicy: "session", subject: "alice" });

    const doctor = await session.hitl(["doctor", "--json"]).done;
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks;
    expect(checks.find((c) => c.name === "key present")).toMatchObject({ status: "pass", detail: expect.stringMatching(/^session key /) });

    const popup = await session.context.newPage();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
    await expect
      .poll(() => popup.locator("#status").textContent())
      .toContain("session: in memory only, never on disk; ends when the browser quits");
    await popup.close();

    const outcome = await approveOnce(session, "session key, used once");
    expect(outcome).toMatchObject({ decision: "approve", receipt: { kid: key.kid } });
  });

  test("an extension page cannot use the session key: the offscreen document answers only the service worker", async () => {
    const popup = await session.context.newPage();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
    const refused = { ok: false, error: { code: "ERR_PROTOCOL", message: "Only the extension's service worker may use the session key." } };
    for (const message of [
      { target: "hitl.session-key", op: "sign", bytes: "aGl0bA" },
      { target: "hitl.session-key", op: "info" },
      { target: "hitl.session-key", op: "create" },
    ]) {
      expect(await popup.evaluate((m) => chrome.runtime.sendMessage(m), message)).toEqual(refused);
    }
    await popup.close();
    expect((await session.health()).extension).toMatchObject({ keyPresent: true, kid: key.kid });
  });

  test("a service-worker restart keeps the session key: same kid, and the next approval verifies", async () => {
    const page = session.context.pages()[0] ?? (await session.context.newPage());
    cdp = await session.context.newCDPSession(page);
    const states: string[] = [];
    cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
      for (const version of versions)
        if (version.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`)) states.push(version.runningStatus);
    });
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    await expect.poll(() => states.includes("stopped"), { timeout: 10_000 }).toBe(true);

    // Wake the worker as a human would (open the toolbar popup); it finds the key in the offscreen
    // document, and its native port starts a new host.
    const popup = await session.context.newPage();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
    await expect.poll(() => popup.locator("#status").textContent()).toContain(formatFingerprint(key.kid));
    await popup.close();
    const health = await session.waitForHealth((h) => h.extension.connected);
    expect(health.extension).toMatchObject({ keyPresent: true, kid: key.kid, keyPolicy: "session" });
    expect(states.at(-1)).toBe("running");
    expect(await approveOnce(session, "after a worker restart")).toMatchObject({ decision: "approve", receipt: { kid: key.kid } });
  });

  test("no file under the profile holds it: not while the browser runs, not after it quit; after a restart it is gone", async () => {
    const running = scanForEd25519Seeds(session.userDataDir);
    expect(seedsOf(running, key)).toEqual([]);

    const stopped = await seedsWhileStopped(session, session.userDataDir);
    // Not only not this key: no Ed25519 private key at all is stored in the profile.
    expect(stopped).toEqual([]);
    expect(running).toEqual([]);

    const health = await session.waitForHealth((h) => h.extension.connected);
    expect(health.extension).toMatchObject({ keyPresent: false, keyPolicy: "session", subject: "alice" });
    expect(health.extension).not.toHaveProperty("kid");
  });

  test("after the browser restart: hitl request fails closed with ERR_SESSION_KEY_ENDED naming hitl pair, no window; doctor says the same", async () => {
    await expectSessionKeyEnded(session);
    expect(session.windows.pendingCount("approval")).toBe(0);

    const text = await session.hitl(["request", "--action", "after a browser restart, text"]).done;
    expect(text.code).toBe(3);
    expect(text.stderr).toContain("ERR_SESSION_KEY_ENDED");
    expect(text.stderr).toContain("hitl pair");

    const doctor = await session.hitl(["doctor", "--json"]).done;
    const checks = (JSON.parse(doctor.stdout) as { checks: { name: string; code?: string; remedy?: string }[] }).checks;
    expect(checks.find((c) => c.name === "key present")).toMatchObject({
      code: "ERR_SESSION_KEY_ENDED",
      remedy: expect.stringContaining("hitl pair"),
    });
  });

  test("re-pairing makes a new session key, which works", async () => {
    const again = pairedKey(parseJsonOutcome((await pairBrowser(session, "alice", { keyLifetime: "session" })).result));
    expect(again.kid).not.toBe(key.kid);
    expect(await approveOnce(session, "after re-pairing")).toMatchObject({ decision: "approve", receipt: { kid: again.kid } });
    const approvers = JSON.parse(readFileSync(join(session.configDir, "approvers.json"), "utf8")) as { approvers: { kid: string }[] };
    expect(approvers.approvers.map((a) => a.kid)).toContain(again.kid);
    expect(seedsOf(scanForEd25519Seeds(session.userDataDir), again)).toEqual([]);
  });
});

describe("switching a persistent key to a session key", () => {
  const session = sharedSession();

  test("the persistent record is deleted, but its bytes stay in the profile and the old key stays in the approvers file", async () => {
    const old = pairedKey(parseJsonOutcome((await pairBrowser(session, "alice")).result));
    const fresh = pairedKey(parseJsonOutcome((await pairBrowser(session, "alice", { keyLifetime: "session" })).result));
    expect(fresh.kid).not.toBe(old.kid);
    expect((await session.health()).extension).toMatchObject({ keyPresent: true, kid: fresh.kid, keyPolicy: "session" });
    expect(await approveOnce(session, "with the new session key")).toMatchObject({ receipt: { kid: fresh.kid } });

    const found = await seedsWhileStopped(session, session.userDataDir);
    // Deleting an IndexedDB record does not erase its bytes: LevelDB keeps them until it compacts
    // them away, at a time of its choosing. And the old key is still registered.
    const leftover = seedsOf(found, old);
    expect(leftover.length).toBeGreaterThan(0);
    expect(seedsOf(found, fresh)).toEqual([]);
    const forged = await forgeApproval(leftover[0]!.seed, join(session.configDir, "approvers.json"), "forged with the replaced key");
    expect(forged).toMatchObject({ approver: { sub: "alice", kid: old.kid } });
  });
});
