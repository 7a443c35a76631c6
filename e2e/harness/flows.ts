import type { Page } from "playwright-core";
import { expect } from "vitest";
import type { Receipt } from "../../verifier/dist/protocol/index.js";
import type { BrowserSession } from "./browser-session.js";
import type { CliResult, CliRun } from "./cli.js";
import { challengeDigest } from "./digest.js";

/** What `hitl request --json` / `hitl pair --json` print. */
export interface JsonOutcome {
  decision: "approve" | "deny" | "timeout" | "error" | "paired" | string;
  code?: string;
  message?: string;
  approver?: { sub: string; kid: string; [key: string]: unknown };
  receipt?: Receipt;
  [key: string]: unknown;
}

export function parseJsonOutcome(result: CliResult): JsonOutcome {
  try {
    return JSON.parse(result.stdout) as JsonOutcome;
  } catch {
    throw new Error(`The CLI did not print JSON (exit ${result.code}).\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/**
 * What `hitl request --json` ended with after a human decided: exit 0 for approve, 1 (ERR_DENIED)
 * for deny, and a receipt whose statement signs that decision over the digest of exactly the
 * challenge it carries; the approver and the summary when given. Returns the outcome.
 */
export function expectSignedDecision(
  result: CliResult,
  expected: { decision: "approve" | "deny"; sub?: string; summary?: string },
): JsonOutcome & { receipt: Receipt } {
  const { decision, sub, summary } = expected;
  expect(result.code, result.stdout + result.stderr).toBe(decision === "approve" ? 0 : 1);
  const outcome = parseJsonOutcome(result);
  expect(outcome).toMatchObject({
    decision,
    ...(decision === "deny" ? { code: "ERR_DENIED" } : {}),
    ...(sub === undefined ? {} : { approver: { sub } }),
  });
  const receipt = outcome.receipt;
  if (receipt === undefined) throw new Error(`hitl request printed no receipt: ${result.stdout}`);
  if (summary !== undefined) expect(receipt.challenge.action.summary).toBe(summary);
  expect(receipt.statement).toMatchObject({ decision, challenge: challengeDigest(receipt.challenge) });
  return { ...outcome, receipt };
}

/** `hitl request --json` failed closed before anyone was asked: exit 3, this error code, this message. */
export function expectFailedClosed(result: CliResult, code: string, message: unknown): void {
  expect(result.code, result.stdout + result.stderr).toBe(3);
  expect(parseJsonOutcome(result)).toMatchObject({ decision: "error", code, message });
}

/**
 * `hitl pair` end to end, as a human does it: the code in the terminal must be the one the window
 * shows; click Pair; read the confirmation code the window then shows and type it into the
 * CLI's stdin; close the window. `keyLifetime` is passed as `--key-lifetime`.
 */
export async function pairBrowser(
  session: BrowserSession,
  name = "e2e-approver",
  options: { keyLifetime?: "persistent" | "session" } = {},
): Promise<{ result: CliResult; page: Page }> {
  const lifetime = options.keyLifetime === undefined ? [] : ["--key-lifetime", options.keyLifetime];
  const run = session.hitl(["pair", "--name", name, "--json", "--timeout", "60", ...lifetime], { stdin: "pipe" });
  const page = await session.nextWindow("pairing", { run });
  const shownCode = (await page.locator("#code").textContent())?.trim();
  const terminalCode = await codeFromTerminal(run);
  if (shownCode !== terminalCode) throw new Error(`Pairing window shows ${shownCode}, terminal shows ${terminalCode}.`);
  await page.getByRole("button", { name: "Pair", exact: true }).click();
  run.type(`${await confirmationCodeIn(page)}\n`);
  const result = await run.done;
  if (result.code !== 0) throw new Error(`hitl pair failed (${result.code}): ${result.stdout}${result.stderr}`);
  await clickButton(page, "Close");
  return { result, page };
}

/** The code the pairing window shows after the click on Pair ("KPT-WRM"), once it is visible. */
export async function confirmationCodeIn(page: Page): Promise<string> {
  const shown = page.locator("#confirmation-code");
  await shown.waitFor({ state: "visible", timeout: 10_000 });
  const code = (await shown.textContent())?.trim() ?? "";
  if (!/^[BCDFGHJKLMNPQRSTVWXZ]{3}-[BCDFGHJKLMNPQRSTVWXZ]{3}$/.test(code))
    throw new Error(`The pairing window shows "${code}", not a code.`);
  return code;
}

/** The pairing code `hitl pair` printed (on stderr with --json), as soon as it appears. */
async function codeFromTerminal(run: CliRun): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const match = /Pairing code: ([0-9]{3}-[0-9]{3})/.exec(run.output());
    if (match?.[1] !== undefined) return match[1];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`hitl pair printed no pairing code: ${run.output()}`);
}

/** `hitl request --action ACTION --timeout 60 [extra]` → its approval window → Approve; the CLI's result. */
export async function approveRequest(session: BrowserSession, action: string, extra: readonly string[] = []): Promise<CliResult> {
  const run = session.hitl(["request", "--action", action, "--timeout", "60", ...extra]);
  const page = await session.nextWindow("approval", { run });
  await clickButton(page, "Approve");
  return run.done;
}

/** Click a decision button by its accessible name, the way a human (or a screen reader) finds it. */
export async function clickButton(page: Page, name: "Approve" | "Deny" | "Pair" | "Cancel" | "Close"): Promise<void> {
  try {
    await page.getByRole("button", { name, exact: true }).click();
  } catch (error) {
    // A decision closes its window; the close can overtake Playwright's after-click bookkeeping.
    // What the click caused is asserted by the caller (exit code, receipt), so a closed page is fine.
    if (!(page.isClosed() && error instanceof Error && error.message.includes("has been closed"))) throw error;
  }
}

/**
 * Scroll down the way a human does (mouse wheel over the request) until Approve unlocks: it
 * stays disabled until every part of the request has been on screen (extension read-through.ts).
 * `onStep` runs after each step (to record what is in view). Returns the number of steps.
 */
export async function readThrough(page: Page, onStep: (page: Page) => Promise<void> = async () => {}): Promise<number> {
  const approve = page.getByRole("button", { name: "Approve", exact: true });
  const heading = await page.locator("#title").boundingBox();
  if (heading === null) throw new Error("The approval window has no visible #title to scroll from.");
  await page.mouse.move(heading.x + 40, heading.y + heading.height + 40);
  for (let step = 1; step <= 80; step++) {
    await page.mouse.wheel(0, 120);
    await page.waitForTimeout(60);
    await onStep(page);
    if (await approve.isEnabled()) return step;
  }
  throw new Error(`Approve did not unlock after scrolling; the window says: ${await page.locator("#read-hint").textContent()}`);
}
