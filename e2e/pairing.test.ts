import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { createChallenge } from "../cli/dist/index.js";
import { formatFingerprint } from "../verifier/dist/protocol/index.js";
import {
  type CliRun,
  clickButton,
  confirmationCodeIn,
  EXTENSION_ID,
  expectFailedClosed,
  httpJson,
  pairBrowser,
  parseJsonOutcome,
  sharedSession,
} from "./harness/index.js";

/*
 * Pairing (`hitl pair`): the terminal and the browser show the same code, the human clicks Pair,
 * the window shows a confirmation code the human types into the terminal, the extension proves
 * possession of its new key, and only with the right code does the approver land in the
 * approvers file.
 */
const session = sharedSession();

/** The approvers file as it is now: what a refused pairing must leave unchanged. */
const approversText = () => readFileSync(join(session.configDir, "approvers.json"), "utf8");

/**
 * `hitl pair` up to the moment a human must type: Pair clicked, the window's confirmation code
 * shown. What is typed then (or not) is the test's.
 */
async function pairUpToTheCode(timeoutSeconds?: number): Promise<{ run: CliRun; page: Page; terminalCode: string; windowCode: string }> {
  const timeout = timeoutSeconds === undefined ? [] : ["--timeout", String(timeoutSeconds)];
  const run = session.hitl(["pair", "--name", "mallory", "--json", ...timeout], { stdin: "pipe" });
  const page = await session.nextWindow("pairing", { run });
  const terminalCode = (await page.locator("#code").textContent()) ?? "";
  await clickButton(page, "Pair");
  const windowCode = await confirmationCodeIn(page);
  return { run, page, terminalCode, windowCode };
}

describe("before pairing", () => {
  test("`hitl request` fails closed (exit 3) and says to run `hitl pair`", async () => {
    const result = await session.hitl(["request", "--action", "delete /tmp/testfile", "--json"]).done;
    expectFailedClosed(result, "ERR_NOT_PAIRED", expect.stringContaining("hitl pair"));
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
  test("Pair: the window shows the terminal's code, subject and requester; after Pair a code to type; typed, the approver is recorded", async () => {
    const run = session.hitl(["pair", "--name", "alice", "--json"], { stdin: "pipe" });
    const page = await session.nextWindow("pairing", { run });
    await expect.poll(() => run.output()).toMatch(/Pairing code: [0-9]{3}-[0-9]{3}/);
    const terminalCode = /Pairing code: ([0-9]{3}-[0-9]{3})/.exec(run.output())?.[1];
    expect(await page.locator("#code").textContent()).toBe(terminalCode);
    expect(await page.getByText("Does the terminal show this code?").isVisible()).toBe(true);
    expect(await page.locator("#confirmation-code").isVisible()).toBe(false);
    const details = await page.locator("#details").textContent();
    expect(details).toContain("alice");
    expect(details).toContain(String(run.pid));
    expect(details).toContain("a new key will be created");
    await clickButton(page, "Pair");

    // The window now shows its own code (letters, never the terminal's digits) and stays open.
    const windowCode = await confirmationCodeIn(page);
    expect(windowCode).not.toContain(terminalCode);
    expect(await page.getByText("Type this code into the terminal").isVisible()).toBe(true);
    // With --json the prompt is on stderr; stdout stays for the one JSON document.
    await expect.poll(() => run.output()).toContain("Type the code the pairing window now shows");
    expect(existsSync(join(session.configDir, "approvers.json"))).toBe(false);

    run.type(`${windowCode.toLowerCase()}\n`);
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "Type the code the pairing window now shows (six letters, like KPT-WRM; no window showed one? Ctrl-C, do not guess):",
    );
    const outcome = parseJsonOutcome(result);
    expect(outcome).toMatchObject({ decision: "paired", approver: { sub: "alice" } });
    const kid = outcome.approver?.kid as string;
    expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const file = JSON.parse(readFileSync(outcome.approversFile as string, "utf8"));
    expect(file).toMatchObject({ v: 1, approvers: [{ sub: "alice", kid }] });
    expect(statSync(outcome.approversFile as string).mode & 0o777).toBe(0o600);

    const health = await session.health();
    expect(health.extension).toMatchObject({ connected: true, keyPresent: true, kid, subject: "alice", keyPolicy: "persistent" });

    // The human closes the window once the terminal said PAIRED.
    expect(page.isClosed()).toBe(false);
    const closed = page.waitForEvent("close");
    await clickButton(page, "Close");
    await closed;
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

  test.each([
    {
      typed: "a wrong code (a valid-looking code, one letter off the window's: the likeliest typo, and what a guess looks like)",
      code: ({ windowCode }: { windowCode: string }) => windowCode.slice(0, -1) + (windowCode.endsWith("B") ? "C" : "B"),
      message:
        "The code typed is not the one the pairing window signed. If no pairing window showed you a code after you clicked Pair, the answer did not come from your browser: another program may be answering on the signing host's port (run `hitl doctor`). Nothing was written.",
    },
    {
      typed: "the terminal's own code instead of the window's",
      code: ({ terminalCode }: { terminalCode: string }) => terminalCode,
      message:
        "That is the code this terminal shows. Type the code the pairing window shows after you click Pair: six letters, like KPT-WRM.",
    },
  ])("$typed typed: exit 3, ERR_PAIRING_CODE_MISMATCH, approvers file unchanged", async ({ code, message }) => {
    const before = approversText();
    const shown = await pairUpToTheCode();
    shown.run.type(`${code(shown)}\n`);
    const result = await shown.run.done;
    expect(result.code).toBe(3);
    expect(parseJsonOutcome(result)).toEqual({ decision: "error", code: "ERR_PAIRING_CODE_MISMATCH", message });
    expect(approversText()).toBe(before);
    await clickButton(shown.page, "Close");
  });

  test("input ends without a code (stdin closed) after Pair: exit 3, ERR_PAIRING_CODE_MISSING, nothing written", async () => {
    const before = approversText();
    const { run, page } = await pairUpToTheCode();
    run.endInput();
    const result = await run.done;
    expect(result.code).toBe(3);
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "error", code: "ERR_PAIRING_CODE_MISSING" });
    expect(approversText()).toBe(before);
    await clickButton(page, "Close");
  });

  test("Pair clicked but no code typed before expiry: exit 2 (ERR_EXPIRED), the window with the code closes itself", async () => {
    const { run, page } = await pairUpToTheCode(6);
    const closed = page.waitForEvent("close", { timeout: 15_000 });
    const result = await run.done;
    expect(result.code).toBe(2);
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "timeout", code: "ERR_EXPIRED" });
    await closed;
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
