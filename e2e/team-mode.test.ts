import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type KeycloakStandIn, startKeycloakStandIn } from "../oauth/stand-in/index.js";
import { type BrowserSession, EXTENSION_ID, freePort, launchSession } from "./harness/index.js";

/*
 * Team mode in real Chromium with the real extension: the team window's sign-in through the
 * browser's identity API against the Keycloak stand-in (its login page filled by the test),
 * key registration with the hitl server, and `hitl request` verified by that server.
 */
const TEAM_PAGE = `chrome-extension://${EXTENSION_ID}/src/team/team.html`;

let session: BrowserSession;
let kc: KeycloakStandIn;
beforeAll(async () => {
  kc = await startKeycloakStandIn({
    users: [
      { username: "alice", password: "alice-pw", realmRoles: ["hitl-approver"] },
      { username: "mallory", password: "mallory-pw" },
    ],
  });
  session = await launchSession();
});
afterAll(async () => {
  await session?.close();
  await kc?.stop();
});

async function openTeamWindow(): Promise<Page> {
  const page = await session.context.newPage();
  await page.goto(TEAM_PAGE);
  return page;
}

async function configure(page: Page, serverUrl: string): Promise<void> {
  await page.locator("#keycloak-url").fill(kc.url);
  await page.locator("#realm").fill("hitl");
  await page.locator("#server-url").fill(serverUrl);
  await Promise.all([page.waitForEvent("load"), page.locator("#save").click()]);
}

/** Click register, fill the stand-in's login page in the browser's auth window, submit. */
async function signIn(page: Page, username: string, password: string): Promise<void> {
  const authWindow = session.context.waitForEvent("page", { timeout: 15_000 });
  await page.locator("#register").click();
  const login = await authWindow;
  await login.locator("#username").fill(username);
  await login.locator("#password").fill(password);
  await login.locator("#kc-login").click();
}

describe("team sign-in", () => {
  test("login through the identity API; registration with no server answering fails closed with its code", async () => {
    const page = await openTeamWindow();
    await configure(page, `http://127.0.0.1:${await freePort()}`);
    await signIn(page, "alice", "alice-pw");
    await expect.poll(() => page.locator("#account").textContent(), { timeout: 15_000 }).toContain("alice");
    await expect
      .poll(() => page.locator("#result").textContent(), { timeout: 15_000 })
      .toMatch(/^ERR_SERVER_UNREACHABLE: The hitl server at http:\/\/127\.0\.0\.1:\d+ did not answer/);
  });
});
