import { copyFileSync, mkdirSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { clickButton, expectSignedDecision, parseJsonOutcome, REPO_ROOT, sharedSession } from "./harness/index.js";

/*
 * The core path: `hitl request` -> approval window -> Approve / Deny / nothing / close -> exit code.
 */
const session = sharedSession({ pairAs: "alice" });

describe("hitl request", () => {
  test("Approve -> exit 0, `APPROVED — signature verified`, the window closes", async () => {
    const details = { path: "/tmp/testfile", recursive: false, size: 1024 };
    const run = session.hitl(["request", "--action", "delete /tmp/testfile", "--details", JSON.stringify(details), "--timeout", "300"]);
    const page = await session.nextWindow("approval", { run });

    // What the window shows: the action as signed, the requester, the audience, the id, a countdown.
    expect(await page.locator("#summary").textContent()).toBe("delete /tmp/testfile");
    expect(JSON.parse((await page.locator("#details").textContent()) ?? "")).toEqual(details);
    const requester = await page.locator("#requester").textContent();
    expect(requester).toContain(String(run.pid));
    expect(requester).toContain(process.cwd());
    const meta = await page.locator("#meta").textContent();
    expect(meta).toContain("hitl-cli");
    expect(meta).toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/);
    expect(meta).toContain("alice");
    await expect.poll(() => page.locator("#countdown").textContent()).toMatch(/^Expires in [45]:[0-5][0-9]$/);
    await expect.poll(() => page.getByRole("button", { name: "Approve", exact: true }).isEnabled()).toBe(true);

    // Always kept under e2e/.artifacts; refreshed in docs/ (the README's picture) only on request.
    const shot = await session.screenshot(page, "approval-window");
    if (process.env.HITL_UPDATE_DOCS_SCREENSHOT === "1") {
      mkdirSync(`${REPO_ROOT}docs`, { recursive: true });
      copyFileSync(shot, `${REPO_ROOT}docs/approval-window.png`);
    }

    const closed = page.waitForEvent("close");
    await clickButton(page, "Approve");
    const result = await run.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("APPROVED — signature verified");
    expect(result.stdout).toContain("User: alice (key ");
    await closed;
  });

  test("Approve with --json: the receipt signs the digest of exactly this challenge", async () => {
    const run = session.hitl(["request", "--action", "rm -rf ./build", "--json"]);
    const page = await session.nextWindow("approval", { run });
    await clickButton(page, "Approve");
    const { receipt } = expectSignedDecision(await run.done, { decision: "approve", sub: "alice", summary: "rm -rf ./build" });
    expect(receipt.statement).toMatchObject({ v: 1, sub: "alice" });
    expect(receipt.kid).toBe(receipt.statement.kid);
  });

  test("Deny -> exit 1 with a signed denial", async () => {
    const run = session.hitl(["request", "--action", "drop table users", "--json"]);
    const page = await session.nextWindow("approval", { run });
    await clickButton(page, "Deny");
    expectSignedDecision(await run.done, { decision: "deny", sub: "alice", summary: "drop table users" });
  });

  test("Deny without --json says DENIED on stdout", async () => {
    const run = session.hitl(["request", "--action", "push --force"]);
    await clickButton(await session.nextWindow("approval", { run }), "Deny");
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("DENIED — alice");
  });

  test("no decision before expiry -> exit 2 (ERR_TIMEOUT), the window closes itself", async () => {
    const run = session.hitl(["request", "--action", "wait for nobody", "--timeout", "4", "--json"]);
    const page = await session.nextWindow("approval", { run });
    const closed = page.waitForEvent("close", { timeout: 10_000 });
    const result = await run.done;
    expect(result.code).toBe(2);
    expect(parseJsonOutcome(result)).toMatchObject({ decision: "timeout", code: "ERR_TIMEOUT", message: expect.stringContaining("again") });
    await closed;
  });

  test("closing the window is a signed deny -> exit 1", async () => {
    const run = session.hitl(["request", "--action", "close me", "--json"]);
    const page = await session.nextWindow("approval", { run });
    await page.close();
    const result = await run.done;
    expect(result.code).toBe(1);
    const outcome = parseJsonOutcome(result);
    expect(outcome).toMatchObject({ decision: "deny", code: "ERR_DENIED" });
    expect(outcome.receipt?.statement.decision).toBe("deny");
  });

  test("Ctrl-C withdraws: the window closes and nothing is signed", async () => {
    const run = session.hitl(["request", "--action", "withdraw me", "--json"]);
    const page = await session.nextWindow("approval", { run });
    const closed = page.waitForEvent("close", { timeout: 10_000 });
    run.signal("SIGINT");
    const result = await run.done;
    expect(result.code).toBe(1);
    const outcome = parseJsonOutcome(result);
    expect(outcome).toMatchObject({ decision: "deny", code: "ERR_WITHDRAWN" });
    expect(outcome.receipt).toBeUndefined();
    await closed;
    await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 0 });
  });

  test("the popup lists the last decisions, newest first", async () => {
    const popup = await session.context.newPage();
    await popup.goto(`chrome-extension://${session.serviceWorker.url().split("/")[2]}/src/popup/popup.html`);
    const items = popup.locator("#history li");
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(7);
    expect(await items.nth(0).textContent()).toContain("withdrawn");
    expect(await items.nth(0).textContent()).toContain("withdraw me");
    expect(await items.nth(1).textContent()).toContain("denied");
    expect(await items.nth(1).textContent()).toContain("close me");
    await popup.close();
  });
});
