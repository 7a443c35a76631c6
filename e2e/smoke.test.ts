import { afterAll, beforeAll, expect, test } from "vitest";
import { type BrowserSession, clickButton, launchSession, pairBrowser } from "./harness/index.js";

let session: BrowserSession;
beforeAll(async () => {
  session = await launchSession();
});
afterAll(async () => {
  await session?.close();
});

test("pair then approve", async () => {
  await pairBrowser(session);
  const run = session.hitl(["request", "--action", "delete /tmp/testfile"]);
  const page = await session.nextWindow("approval");
  await clickButton(page, "Approve");
  const result = await run.done;
  expect(result.stdout).toContain("APPROVED — signature verified");
  expect(result.code).toBe(0);
});
