import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  clickInWindow,
  confirmationCodeInWindow,
  type FirefoxSession,
  sharedFirefoxSession,
  textOf,
  waitForWindowClosed,
} from "./harness/firefox/index.js";
import { type JsonOutcome, parseJsonOutcome } from "./harness/index.js";
import { expectSessionKeyEnded, type PairedKey, pairedKey, seedsOf, seedsWhileStopped } from "./harness/key-at-rest.js";
import { forgeApproval, scanForEd25519Seeds } from "./harness/key-scan.js";

/*
 * Key at rest, Firefox (the same checks as key-at-rest.test.ts). A persistent key is a CryptoKey
 * in the add-on's IndexedDB: its seed is recoverable from the profile and a receipt forged with it
 * verifies (the control). A session key lives in the event page's heap only: no file under the
 * profile holds it, it stays while the native port keeps the event page alive past the idle
 * timeout, and a Firefox restart ends it (ERR_SESSION_KEY_ENDED) until `hitl pair`.
 */
const BACKGROUND_IDLE_MS = 2_000;

async function pair(session: FirefoxSession, lifetime?: "session" | "persistent"): Promise<{ key: PairedKey; details: string }> {
  const extra = lifetime === undefined ? [] : ["--key-lifetime", lifetime];
  const run = session.hitl(["pair", "--name", "fox", "--json", "--timeout", "60", ...extra], { stdin: "pipe" });
  const window = await session.nextWindow("pairing", { run });
  const shown = (await textOf(session.bidi, window, "#code")).trim();
  expect(run.output()).toMatch(new RegExp(`Pairing code: ${shown}`));
  const details = await textOf(session.bidi, window, "#details");
  await clickInWindow(session.bidi, window, "Pair");
  run.type(`${await confirmationCodeInWindow(session, window)}\n`);
  const result = await run.done;
  expect(result.code, result.stdout + result.stderr).toBe(0);
  await clickInWindow(session.bidi, window, "Close");
  await waitForWindowClosed(session.bidi, window);
  return { key: pairedKey(parseJsonOutcome(result)), details };
}

async function approveOnce(session: FirefoxSession, summary: string): Promise<JsonOutcome> {
  const run = session.hitl(["request", "--action", summary, "--json", "--timeout", "60"]);
  const window = await session.nextWindow("approval", { run });
  await clickInWindow(session.bidi, window, "Approve");
  const result = await run.done;
  expect(result.code, result.stdout + result.stderr).toBe(0);
  await waitForWindowClosed(session.bidi, window);
  return parseJsonOutcome(result);
}

describe("Firefox: persistent key (control)", () => {
  const session = sharedFirefoxSession();

  test("its seed is in the profile on disk after a quit, and a receipt forged with it verifies", async () => {
    const { key } = await pair(session);
    await approveOnce(session, "persistent key, used once");
    const found = seedsOf(await seedsWhileStopped(session, session.profile), key);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((f) => f.file.includes(join("storage", "default", "moz-extension+++")))).toBe(true);
    const forged = await forgeApproval(found[0]!.seed, join(session.configDir, "approvers.json"), "forged from the profile");
    expect(forged).toMatchObject({ approver: { sub: "fox", kid: key.kid }, receipt: { statement: { decision: "approve" } } });
  });
});

describe("Firefox: session key", () => {
  // A short idle timeout: the event page (and the key in it) must outlive it while the port is open.
  const session = sharedFirefoxSession({ backgroundIdleMs: BACKGROUND_IDLE_MS });
  let key: PairedKey;

  test("hitl pair --key-lifetime session: the window says so, health shows it, approve works", async () => {
    const paired = await pair(session, "session");
    key = paired.key;
    expect(paired.details).toContain("session: kept in memory only, never on disk; ends when the browser quits");
    expect((await session.health()).extension).toMatchObject({ browser: "firefox", keyPresent: true, kid: key.kid, keyPolicy: "session" });
    expect(await approveOnce(session, "session key, used once")).toMatchObject({ decision: "approve", receipt: { kid: key.kid } });
  });

  test("the key outlives the event page's idle timeout (the open native port keeps the page alive)", async () => {
    const before = await session.health();
    await new Promise((r) => setTimeout(r, BACKGROUND_IDLE_MS * 2.5));
    const after = await session.health();
    expect(after.host.pid).toBe(before.host.pid);
    expect(after.extension).toMatchObject({ keyPresent: true, kid: key.kid });
    expect(await approveOnce(session, "after the idle timeout")).toMatchObject({ decision: "approve", receipt: { kid: key.kid } });
  });

  test("no file under the profile holds it, while Firefox runs or after it quit; after a restart it is gone", async () => {
    const running = scanForEd25519Seeds(session.profile);
    const stopped = await seedsWhileStopped(session, session.profile);
    // Not only not this key: no Ed25519 private key at all is stored in the profile.
    expect(running).toEqual([]);
    expect(stopped).toEqual([]);
    const health = await session.waitForHealth((h) => h.extension.connected);
    expect(health.extension).toMatchObject({ browser: "firefox", keyPresent: false, keyPolicy: "session", subject: "fox" });
  });

  test("after the restart: hitl request fails closed with ERR_SESSION_KEY_ENDED naming hitl pair; re-pairing works", async () => {
    await expectSessionKeyEnded(session);

    const again = await pair(session, "session");
    expect(again.key.kid).not.toBe(key.kid);
    expect(await approveOnce(session, "after re-pairing")).toMatchObject({ decision: "approve", receipt: { kid: again.key.kid } });
    expect(seedsOf(scanForEd25519Seeds(session.profile), again.key)).toEqual([]);
  });

  test("the extension logged no error in Firefox during all of the above", () => {
    expect(session.browserLog()).not.toMatch(/console\.error: "hitl|JavaScript error: moz-extension:/);
  });
});
