import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { describe, expect, test } from "vitest";
import { makeChallenge } from "../verifier/dist/testing/index.js";
import { challengeDigest, clickButton, sharedSession } from "./harness/index.js";

/*
 * A POST /sign with `x-hitl-prepare: 1` (what `hitl request` sends right after Node starts): the
 * window opens from the headers, before the challenge exists, with nothing to decide; the body
 * then fills it, or the window goes away. The requests here are made by hand, so the body can
 * be held back, sent late, or never sent.
 */
const session = sharedSession({ pairAs: "prep" });

interface HeldRequest {
  request: ClientRequest;
  answer: Promise<{ status: number; body: unknown }>;
}

/** Opens POST /sign and sends only the headers; the body is up to the test. */
function openHeld(port: number): HeldRequest {
  const request = httpRequest({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/sign",
    agent: false,
    headers: { host: `127.0.0.1:${port}`, "content-type": "application/json", "x-hitl-prepare": "1" },
  });
  const answer = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    request.on("error", reject);
    request.on("response", (response: IncomingMessage) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
  });
  answer.catch(() => {}); // some tests end the request on purpose
  request.flushHeaders();
  return { request, answer };
}

describe("an approval window opened ahead of its challenge", () => {
  test("shows 'Receiving the request…' with nothing to approve, and closes when the client leaves; nothing is signed", async () => {
    const held = openHeld(session.port);
    const page = await session.windows.next("approval", 15_000);
    await expect.poll(() => page.locator("#status").textContent()).toBe("Receiving the request…");
    expect(await page.locator("#summary").textContent()).toBe("");
    expect(await page.getByRole("button", { name: "Approve", exact: true }).isEnabled()).toBe(false);
    const closed = page.waitForEvent("close");
    held.request.destroy();
    await closed;
    expect((await session.health()).extension).toMatchObject({ pending: 0 });
  });

  test("the body fills the same window, which then signs exactly that challenge", async () => {
    const held = openHeld(session.port);
    const page = await session.windows.next("approval", 15_000);
    await expect.poll(() => page.locator("#status").textContent()).toBe("Receiving the request…");
    const challenge = makeChallenge({ action: { summary: "deploy build 42 ✓" } });
    held.request.end(JSON.stringify({ challenge }));
    await expect.poll(() => page.locator("#summary").textContent()).toBe("deploy build 42 ✓");
    expect(await page.locator("#status").textContent()).toBe("");
    await clickButton(page, "Approve");
    const answer = await held.answer;
    expect(answer.status).toBe(200);
    const receipt = (answer.body as { receipt: { challenge: unknown; statement: { decision: string; challenge: string } } }).receipt;
    expect(receipt.challenge).toEqual(challenge);
    expect(receipt.statement).toMatchObject({ decision: "approve", challenge: challengeDigest(challenge) });
    expect(session.windows.pendingCount("approval")).toBe(0);
  });

  test("a body the host refuses closes the window (400 ERR_MALFORMED), and nothing reaches it", async () => {
    const held = openHeld(session.port);
    const page = await session.windows.next("approval", 15_000);
    const closed = page.waitForEvent("close");
    held.request.end(JSON.stringify({ challenge: makeChallenge(), extra: 1 }));
    const answer = await held.answer;
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: "ERR_MALFORMED" } });
    await closed;
  });

  test("closed by the human before its challenge: the challenge then gets a window of its own", async () => {
    const held = openHeld(session.port);
    const early = await session.windows.next("approval", 15_000);
    await expect.poll(() => early.locator("#status").textContent()).toBe("Receiving the request…");
    await early.close({ runBeforeUnload: false });
    const challenge = makeChallenge({ action: { summary: "rotate keys" } });
    held.request.end(JSON.stringify({ challenge }));
    const page = await session.windows.next("approval", 15_000);
    await expect.poll(() => page.locator("#summary").textContent()).toBe("rotate keys");
    await clickButton(page, "Deny");
    const answer = await held.answer;
    expect(answer.status).toBe(200);
    expect((answer.body as { receipt: { statement: { decision: string } } }).receipt.statement.decision).toBe("deny");
  });
});
