import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createChallenge } from "../cli/dist/index.js";
import { formatFingerprint } from "../verifier/dist/protocol/index.js";
import { type BrowserSession, clickButton, EXTENSION_ID, httpJson, launchSession, pairBrowser, parseJsonOutcome } from "./harness/index.js";

/*
 * Pairing (`hitl pair`): the terminal and the browser show the same code, the human clicks Pair,
 * the extension proves possession of its new key and the approver lands in the approvers file.
 */
let session: BrowserSession;
beforeAll(async () => {
  session = await launchSession();
});
afterAll(async () => {
  await session?.close();
});

describe("before pairing", () => {
  test("`hitl request` fails closed (exit 3) and says to run `hitl pair`", async () => {
    const result = await session.hitl(["request", "--action", "delete /tmp/testfile", "--json"]).done;
    expect(result.code).toBe(3);
    expect(parseJsonOutcome(result)).toMatchObject({
      decision: "error",
      code: "ERR_NOT_PAIRED",
      message: expect.stringContaining("hitl pair"),
    });
    expect(session.windows.pendingCount("approval")).toBe(0);
  });

  test("a challenge that reaches the extension without a key is refused with ERR_NO_KEY, no window", async () => {
    const challenge = createChallenge({ action: { summary: "delete /tmp/testfile" } });
    const answer = await httpJson(session.port, "POST", "/sign", { challenge });
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      error: { code: "ERR_NO_KEY", message: "The browser extension has no signing key yet: pair first: run `hitl pair`." },
    });
    expect(session.windows.pendingCount("approval")).toBe(0);
  });

  test("the host's health reports no key and no subject", async () => {
    const health = await session.health();
    expect(health.extension).toMatchObject({ connected: true, keyPresent: false, keyPolicy: "persistent", pending: 0 });
    expect(health.extension).not.toHaveProperty("subject");
  });

  test("Cancel in the pairing window refuses: exit 1, ERR_PAIRING_REJECTED, nothing written", async () => {
    const run = session.hitl(["pair", "--name", "mallory", "--json"]);
    const page = await session.nextWindow("pairing", { run });
    await clickButton(page, "Cancel");
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(parseJsonOutcome(result)).toMatchObject({
      decision: "deny",
      code: "ERR_PAIRING_REJECTED",
      message: expect.stringContaining("hitl pair"),
    });
    expect(() => statSync(join(session.configDir, "approvers.json"))).toThrow();
  });

  test("closing the pairing window refuses too", async () => {
    const run = session.hitl(["pair", "--name", "mallory", "--json"]);
    const page = await session.nextWindow("pairing", { run });
    await page.close();
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "deny", code: "ERR_PAIRING_REJECTED" });
  });
});

describe("pairing", () => {
  test("Pair: the window shows the terminal's code, subject and requester; the approver is recorded", async () => {
    const run = session.hitl(["pair", "--name", "alice", "--json"]);
    const page = await session.nextWindow("pairing", { run });
    await expect.poll(() => run.output()).toMatch(/Pairing code: [0-9]{3}-[0-9]{3}/);
    const terminalCode = /Pairing code: ([0-9]{3}-[0-9]{3})/.exec(run.output())?.[1];
    expect(await page.locator("#code").textContent()).toBe(terminalCode);
    expect(await page.getByText("Does the terminal show this code?").isVisible()).toBe(true);
    const details = await page.locator("#details").textContent();
    expect(details).toContain("alice");
    expect(details).toContain(String(run.pid));
    expect(details).toContain("a new key will be created");
    const closed = page.waitForEvent("close");
    await clickButton(page, "Pair");
    const result = await run.done;
    expect(result.code).toBe(0);
    await closed;
    const outcome = parseJsonOutcome(result);
    expect(outcome).toMatchObject({ decision: "paired", approver: { sub: "alice" } });
    const kid = outcome.approver?.kid as string;
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const file = JSON.parse(readFileSync(outcome.approversFile as string, "utf8"));
    expect(file).toMatchObject({ v: 1, approvers: [{ sub: "alice", kid }] });
    expect(statSync(outcome.approversFile as string).mode & 0o777).toBe(0o600);

    const health = await session.health();
    expect(health.extension).toMatchObject({ connected: true, keyPresent: true, kid, subject: "alice", keyPolicy: "persistent" });
  });

  test("the toolbar popup shows the fingerprint, the approver, the key policy and a connected host", async () => {
    const { kid } = (await session.health()).extension as { kid: string };
    const popup = await session.context.newPage();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
    const status = popup.locator("#status");
    await expect.poll(() => status.textContent()).toContain(formatFingerprint(kid));
    const text = await status.textContent();
    expect(text).toContain("alice");
    expect(text).toContain("persistent");
    expect(text).toContain("connected");
    expect(await popup.locator("#history").textContent()).toContain("pairing as alice");
    await popup.close();
  });

  test("pairing again keeps the same key (persistent policy) and adopts the new name", async () => {
    const before = (await session.health()).extension as { kid: string };
    const { result } = await pairBrowser(session, "alice-laptop");
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "paired", approver: { sub: "alice-laptop", kid: before.kid } });
    expect((await session.health()).extension).toMatchObject({ kid: before.kid, subject: "alice-laptop" });
  });

  test("a pairing request nobody answers times out: exit 2, the window closes", async () => {
    const run = session.hitl(["pair", "--name", "bob", "--json", "--timeout", "4"]);
    const page = await session.nextWindow("pairing", { run });
    const closed = page.waitForEvent("close", { timeout: 10_000 });
    const result = await run.done;
    expect(result.code).toBe(2);
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "timeout", code: "ERR_TIMEOUT" });
    await closed;
  });
});
