import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  callInWindow,
  clickInWindow,
  type ExtensionWindow,
  FIREFOX_EXTENSION_DIR,
  FIREFOX_EXTENSION_ID,
  type FirefoxSession,
  launchFirefoxSession,
  pairFirefox,
  screenshotWindow,
  textOf,
  waitForWindowClosed,
} from "./harness/firefox/index.js";
import { expectFailedClosed, expectSignedDecision, parseJsonOutcome } from "./harness/index.js";

/*
 * The Firefox build (extension/dist/firefox) in real headless firefox-esr: event page instead of
 * a service worker, gecko id instead of the manifest key, host manifest in ~/.mozilla (a temp
 * HOME). The same CLI and signing host as the Chromium suite; clicks are real pointer events
 * sent over WebDriver BiDi.
 */
const BACKGROUND_IDLE_MS = 2_000;

let session: FirefoxSession;
beforeAll(async () => {
  // A short idle timeout, so the keep-alive check below does not have to wait Firefox's 30 s.
  session = await launchFirefoxSession({ backgroundIdleMs: BACKGROUND_IDLE_MS });
});
afterAll(async () => {
  await session?.close();
});

/** `hitl pair` with the window's confirmation code typed into the CLI (pairFirefox); the CLI's result. */
async function pair(name: string) {
  return (await pairFirefox(session, name)).result;
}

describe("Firefox: the extension and its native host", () => {
  test("hitl setup --browser firefox wrote the host manifest under the temp HOME, allowing only the add-on id", () => {
    const manifest = JSON.parse(readFileSync(join(session.home, ".mozilla/native-messaging-hosts/dev.hitl.signing_host.json"), "utf8"));
    expect(manifest).toMatchObject({ name: "dev.hitl.signing_host", type: "stdio", allowed_extensions: [FIREFOX_EXTENSION_ID] });
    expect(manifest.path.startsWith(session.configDir)).toBe(true);
  });

  test("the background starts, Firefox launches the host, GET /health says the extension is connected (browser firefox)", async () => {
    const health = await session.waitForHealth((h) => h.extension.connected);
    expect(health.host).toMatchObject({ port: session.port });
    expect(health.extension).toMatchObject({ connected: true, browser: "firefox", keyPresent: false, keyPolicy: "persistent", pending: 0 });
    // The host knows it was started by Firefox for this add-on (Firefox passes manifest path + id).
    const log = readFileSync(join(session.stateDir, "signing-host.log"), "utf8");
    expect(log).toMatch(/host\.started .*launchedBy="firefox".*extensionId="approver@hitl\.dev"/);
  });

  test("the open native port keeps the event page alive past Firefox's idle timeout (same host, still connected)", async () => {
    const before = await session.health();
    await new Promise((r) => setTimeout(r, BACKGROUND_IDLE_MS * 2.5));
    const after = await session.health();
    expect(after.host.pid).toBe(before.host.pid);
    expect(after.extension.connected).toBe(true);
  });

  test("hitl pair -> pairing window -> Pair: exit 0, the approver is stored, the key is present", async () => {
    const result = await pair("firefox-user");
    expect(result.code).toBe(0);
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "paired", approver: { sub: "firefox-user" } });
    const approvers = JSON.parse(readFileSync(join(session.configDir, "approvers.json"), "utf8"));
    expect(approvers.approvers).toEqual([expect.objectContaining({ sub: "firefox-user" })]);
    expect((await session.health()).extension).toMatchObject({ connected: true, keyPresent: true, subject: "firefox-user" });
  });
});

describe("Firefox: hitl request", () => {
  test("Approve -> exit 0 and `APPROVED — signature verified`; the request had its own popup window", async () => {
    const run = session.hitl(["request", "--action", "delete /tmp/testfile", "--timeout", "120"]);
    const window: ExtensionWindow = await session.nextWindow("approval", { run });
    expect(await textOf(session.bidi, window, "#summary")).toBe("delete /tmp/testfile");
    expect(await textOf(session.bidi, window, "#requester")).toContain(String(run.pid));
    expect(await textOf(session.bidi, window, "#meta")).toContain("firefox-user");
    // windows.create({type: "popup"}) gives Firefox a popup window, not a tab in the main window.
    expect(await callInWindow(session.bidi, window, "async () => (await browser.windows.getCurrent()).type")).toBe("popup");
    await screenshotWindow(session.bidi, window, "firefox-approval-window");

    await clickInWindow(session.bidi, window, "Approve");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("APPROVED — signature verified");
    expect(result.stdout).toContain("User: firefox-user (key ");
    await waitForWindowClosed(session.bidi, window);
  });

  test("Deny -> exit 1 with a signed denial of exactly this challenge", async () => {
    const run = session.hitl(["request", "--action", "drop table users", "--json"]);
    const window = await session.nextWindow("approval", { run });
    await clickInWindow(session.bidi, window, "Deny");
    expectSignedDecision(await run.done, { decision: "deny", sub: "firefox-user", summary: "drop table users" });
    await waitForWindowClosed(session.bidi, window);
  });

  test("a non-ASCII action round-trips through Firefox's WebCrypto Ed25519 and verifies", async () => {
    const action = "déployer 🚀 → prod: שלום, e\u0301, 数据\nline 2";
    const run = session.hitl(["request", "--action", action, "--json"]);
    const window = await session.nextWindow("approval", { run });
    await clickInWindow(session.bidi, window, "Approve");
    expectSignedDecision(await run.done, { decision: "approve", sub: "firefox-user", summary: action });
  });

  test("closing the window is a signed deny -> exit 1", async () => {
    const run = session.hitl(["request", "--action", "close me", "--json"]);
    const window = await session.nextWindow("approval", { run });
    // As a human closing the popup: Firefox removes its only tab and the window with it, and the
    // background hears windows.onRemoved.
    await session.bidi.command("browsingContext.close", { context: window.context });
    expectSignedDecision(await run.done, { decision: "deny", sub: "firefox-user", summary: "close me" });
  });

  test("no decision before expiry -> exit 2 (ERR_TIMEOUT), the window closes itself", async () => {
    const run = session.hitl(["request", "--action", "wait for nobody", "--timeout", "4", "--json"]);
    const window = await session.nextWindow("approval", { run });
    const result = await run.done;
    expect(result.code).toBe(2);
    const outcome = parseJsonOutcome(result);
    expect(outcome).toMatchObject({ decision: "timeout", code: "ERR_TIMEOUT", message: expect.stringContaining("again") });
    expect(outcome.receipt).toBeUndefined();
    await waitForWindowClosed(session.bidi, window);
  });

  test("two concurrent requests decided differently get the right answers", async () => {
    const a = session.hitl(["request", "--action", "request A: deploy to staging", "--json"]);
    const b = session.hitl(["request", "--action", "request B: deploy to production", "--json"]);
    // Told apart by what they show, not by the order they opened in.
    const windows = new Map<string, ExtensionWindow>();
    for (let i = 0; i < 2; i++) {
      const window = await session.nextWindow("approval");
      windows.set(await textOf(session.bidi, window, "#summary"), window);
    }
    expect([...windows.keys()].sort()).toEqual(["request A: deploy to staging", "request B: deploy to production"]);
    await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 2 });

    // Decide B first, then A: order must not matter.
    await clickInWindow(session.bidi, windows.get("request B: deploy to production")!, "Deny");
    await clickInWindow(session.bidi, windows.get("request A: deploy to staging")!, "Approve");
    const [resultA, resultB] = await Promise.all([a.done, b.done]);

    expectSignedDecision(resultA, { decision: "approve", sub: "firefox-user", summary: "request A: deploy to staging" });
    expectSignedDecision(resultB, { decision: "deny", sub: "firefox-user", summary: "request B: deploy to production" });

    for (const window of windows.values()) await waitForWindowClosed(session.bidi, window);
  });
});

describe("Firefox: key lifetime of the add-on", () => {
  test("Firefox restarted on the same profile, add-on loaded again: the persistent key is kept, no re-pairing", async () => {
    const before = await session.health();
    const kid = before.extension.connected ? before.extension.kid : undefined;
    expect(kid).toEqual(expect.any(String));
    await session.restart();
    const after = await session.waitForHealth((h) => h.extension.connected && h.host.pid !== before.host.pid);
    expect(after.extension).toMatchObject({ browser: "firefox", keyPresent: true, kid, subject: "firefox-user" });
    const run = session.hitl(["request", "--action", "after a browser restart"]);
    await clickInWindow(session.bidi, await session.nextWindow("approval", { run }), "Approve");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("APPROVED — signature verified");
  });

  test("uninstalling the add-on deletes its key with its IndexedDB: requests fail closed with ERR_NO_KEY until paired again", async () => {
    const before = await session.health();
    await session.bidi.command("webExtension.uninstall", { extension: FIREFOX_EXTENSION_ID });
    await session.bidi.command("webExtension.install", { extensionData: { type: "path", path: FIREFOX_EXTENSION_DIR } });
    const after = await session.waitForHealth((h) => h.extension.connected && h.host.pid !== before.host.pid);
    expect(after.extension).toMatchObject({ connected: true, browser: "firefox", keyPresent: false });

    const refused = await session.hitl(["request", "--action", "delete /tmp/testfile", "--json"]).done;
    expectFailedClosed(refused, "ERR_NO_KEY", expect.stringContaining("hitl pair"));

    expect((await pair("firefox-user")).code).toBe(0);
    const approvers = JSON.parse(readFileSync(join(session.configDir, "approvers.json"), "utf8"));
    expect(approvers.approvers).toHaveLength(2); // the old key stays listed; the new one signs from now on
    const run = session.hitl(["request", "--action", "after re-pairing"]);
    await clickInWindow(session.bidi, await session.nextWindow("approval", { run }), "Approve");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("APPROVED — signature verified");
  });

  test("the extension logged no error in Firefox during all of the above", () => {
    // console.error from the background (e.g. "hitl: start-up failed") and uncaught page errors.
    expect(session.browserLog()).not.toMatch(/console\.error: "hitl|JavaScript error: moz-extension:/);
  });
});
