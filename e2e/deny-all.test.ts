import { request as httpRequest } from "node:http";
import type { Page } from "playwright-core";
import { expect, test } from "vitest";
import type { Challenge } from "../verifier/dist/index.js";
import { makeChallenge, nowSeconds } from "../verifier/dist/testing/index.js";
import { challengeDigest, parseJsonOutcome, sharedSession } from "./harness/index.js";

/*
 * A flood of approval windows, cleared with one click on "Deny all" in the toolbar popup: real
 * Chromium, the real extension, the real signing host it started, real `hitl request` runs. The
 * flood: this test process sends 6 POST /sign claiming 6 different pids; the host counts them as
 * one process and shows 4. Two real `hitl request` runs (other processes) still get their windows.
 */
const session = sharedSession({ pairAs: "alice" });

function forgedChallenge(pid: number): Challenge {
  const action = { summary: `flood from a forged pid ${pid}` };
  return makeChallenge({ aud: "hitl-flood", exp: nowSeconds() + 300, action, requester: { tool: "flood", pid } });
}

type Answer = {
  status: number;
  body: { receipt?: { challenge: Challenge; statement: { decision: string; challenge: string } }; error?: { code: string } };
};

/** POST /sign on a connection of its own, answered whenever the human decides. */
function postSign(port: number, challenge: Challenge): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify({ challenge }));
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/sign",
        agent: false,
        headers: { "content-type": "application/json", "content-length": payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

test("one click on Deny all answers every waiting window with a signed deny and closes them", async () => {
  const flood = Array.from({ length: 6 }, (_, i) => postSign(session.port, forgedChallenge(40_000 + i)));
  const real = [
    session.hitl(["request", "--action", "real request one", "--json", "--timeout", "300"]),
    session.hitl(["request", "--action", "real request two", "--json", "--timeout", "300"]),
  ];
  const windows: Page[] = [];
  for (let i = 0; i < 6; i++) windows.push(await session.nextWindow("approval"));
  await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 6 });

  const summaries = await Promise.all(windows.map(async (page) => (await page.locator("#summary").textContent()) ?? ""));
  expect(summaries.filter((summary) => summary.startsWith("flood from a forged pid"))).toHaveLength(4);
  expect(summaries).toEqual(expect.arrayContaining(["real request one", "real request two"]));

  const popup = await session.context.newPage();
  await popup.goto(`chrome-extension://${session.serviceWorker.url().split("/")[2]}/src/popup/popup.html`);
  const button = popup.getByRole("button", { name: "Deny all 6 waiting" });
  await expect.poll(() => button.isVisible()).toBe(true);
  await button.click();

  await expect.poll(() => popup.locator("#deny-all-result").textContent()).toBe("Done: denied 6 requests (signed).");
  await expect.poll(() => windows.every((page) => page.isClosed())).toBe(true);
  await expect.poll(async () => (await session.health()).extension).toMatchObject({ pending: 0 });
  await expect.poll(() => button.isHidden()).toBe(true);

  // The real requests: a verified, signed deny (exit 1, ERR_DENIED).
  for (const run of real) {
    const result = await run.done;
    expect(result.code).toBe(1);
    const outcome = parseJsonOutcome(result);
    expect(outcome).toMatchObject({ decision: "deny", code: "ERR_DENIED", approver: { sub: "alice" } });
    expect(outcome.receipt?.statement.challenge).toBe(challengeDigest(outcome.receipt!.challenge));
  }
  // The flood: four signed denials of exactly their challenges, two refused at once by the host.
  const answers = await Promise.all(flood);
  const denied = answers.filter((answer) => answer.status === 200);
  expect(denied).toHaveLength(4);
  for (const answer of denied) {
    expect(answer.body.receipt?.statement.decision).toBe("deny");
    expect(answer.body.receipt?.statement.challenge).toBe(challengeDigest(answer.body.receipt!.challenge));
  }
  expect(answers.filter((answer) => answer.status === 429).map((answer) => answer.body.error?.code)).toEqual([
    "ERR_TOO_MANY_PENDING",
    "ERR_TOO_MANY_PENDING",
  ]);

  // The history shows each as denied.
  const items = popup.locator("#history li");
  await expect.poll(() => items.count()).toBeGreaterThanOrEqual(6);
  for (let i = 0; i < 6; i++) expect(await items.nth(i).textContent()).toContain("denied");
  await popup.close();
});
