import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import { clickButton, expectSignedDecision, parseJsonOutcome, sharedSession } from "./harness/index.js";

/*
 * Several requests at once: each gets its own window and its own decision, and a decision made
 * in one window can never sign the challenge another window shows.
 */
const session = sharedSession({ pairAs: "alice" });

async function windowsBySummary(count: number): Promise<Map<string, Page>> {
  const pages = new Map<string, Page>();
  for (let i = 0; i < count; i++) {
    const page = await session.nextWindow("approval");
    pages.set((await page.locator("#summary").textContent()) ?? "", page);
  }
  return pages;
}

test("two concurrent requests decided differently get the right answers", async () => {
  const a = session.hitl(["request", "--action", "request A: deploy to staging", "--json"]);
  const b = session.hitl(["request", "--action", "request B: deploy to production", "--json"]);
  const pages = await windowsBySummary(2);
  await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 2 });

  // Decide B first, then A: order must not matter.
  await clickButton(pages.get("request B: deploy to production")!, "Deny");
  await clickButton(pages.get("request A: deploy to staging")!, "Approve");
  const [resultA, resultB] = await Promise.all([a.done, b.done]);

  expectSignedDecision(resultA, { decision: "approve", summary: "request A: deploy to staging" });
  expectSignedDecision(resultB, { decision: "deny", summary: "request B: deploy to production" });
});

test("Approve in one window never signs another window's challenge", async () => {
  const a = session.hitl(["request", "--action", "request A: harmless", "--json"]);
  const b = session.hitl(["request", "--action", "request B: dangerous", "--json"]);
  const pages = await windowsBySummary(2);
  const pageA = pages.get("request A: harmless")!;
  const pageB = pages.get("request B: dangerous")!;
  const idOf = (page: Page) => new URL(page.url()).searchParams.get("request")!;

  // Window A forges a decision for B's request, with B's own digest: refused, nothing signed.
  const digestB = await pageB.evaluate(async (id) => {
    const answer = (await chrome.runtime.sendMessage({ type: "approval.get", requestId: id })) as
      | { ok: true; value: { digest: string } }
      | { ok: false; error: { code: string } };
    return answer.ok ? answer.value.digest : answer.error.code;
  }, idOf(pageB));
  expect(digestB).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const forged = await pageA.evaluate(
    ([id, digest]) => chrome.runtime.sendMessage({ type: "approval.decide", requestId: id, decision: "approve", shownDigest: digest }),
    [idOf(pageB), digestB] as const,
  );
  expect(forged).toEqual({ ok: false, error: { code: "ERR_PROTOCOL", message: "A window can only decide the request it shows." } });

  // Window A approving its own request with B's digest (a stale or swapped view): refused.
  const swapped = await pageA.evaluate(
    ([id, digest]) => chrome.runtime.sendMessage({ type: "approval.decide", requestId: id, decision: "approve", shownDigest: digest }),
    [idOf(pageA), digestB] as const,
  );
  expect(swapped).toMatchObject({ ok: false, error: { code: "ERR_CHALLENGE_MISMATCH" } });

  // Both are still pending and still decided by their own windows only.
  expect((await session.health()).extension).toMatchObject({ pending: 2 });
  await clickButton(pageA, "Approve");
  const resultA = await a.done;
  expect(resultA.code).toBe(0);
  expect(parseJsonOutcome(resultA).receipt?.challenge.action.summary).toBe("request A: harmless");
  expect(pageB.isClosed()).toBe(false);
  await clickButton(pageB, "Deny");
  const resultB = await b.done;
  expect(resultB.code).toBe(1);
  const outcomeB = parseJsonOutcome(resultB);
  expect(outcomeB.receipt?.statement.decision).toBe("deny");
  expect(outcomeB.receipt?.challenge.action.summary).toBe("request B: dangerous");
});

test("five requests at once: five windows, the badge counts them, each answered on its own", async () => {
  const runs = [0, 1, 2, 3, 4].map((i) => session.hitl(["request", "--action", `batch item ${i}`, "--json"]));
  const pages = await windowsBySummary(5);
  const badge = () => session.serviceWorker.evaluate(() => chrome.action.getBadgeText({}));
  await expect.poll(badge).toBe("5");
  for (const [summary, page] of pages) await clickButton(page, Number(summary.at(-1)) % 2 === 0 ? "Approve" : "Deny");
  const results = await Promise.all(runs.map((r) => r.done));
  results.forEach((result, i) => {
    expect(result.code).toBe(i % 2 === 0 ? 0 : 1);
    expect(parseJsonOutcome(result).receipt?.challenge.action.summary).toBe(`batch item ${i}`);
  });
  await expect.poll(badge).toBe("");
});
