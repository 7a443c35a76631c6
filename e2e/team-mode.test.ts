import { lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type KeycloakStandIn, startKeycloakStandIn } from "../oauth/stand-in/index.js";
import { type BrowserSession, clickButton, EXTENSION_ID, freePort, launchSession, pairBrowser } from "./harness/index.js";

/*
 * Team mode in real Chromium with the real extension: the team window's sign-in through the
 * browser's identity API (keycloak-js, PKCE S256) against the Keycloak stand-in, its login page
 * filled by the test; what happens to the tokens; who may configure team mode; and that in team
 * mode `hitl request` ignores the local approvers file.
 */
const TEAM_PAGE = `chrome-extension://${EXTENSION_ID}/src/team/team.html`;

let session: BrowserSession;
let kc: KeycloakStandIn;
/** Every token the stand-in's token endpoint handed to the browser, seen on the wire by the test. */
const issuedTokens: string[] = [];
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
  // Observe (not alter) the token responses, to look for these tokens everywhere afterwards.
  await page.route("**/protocol/openid-connect/token", async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as Record<string, unknown>;
    for (const name of ["access_token", "id_token", "refresh_token"])
      if (typeof body[name] === "string") issuedTokens.push(body[name] as string);
    await route.fulfill({ response, json: body });
  });
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

/** Every file under `dir` whose bytes contain `needle` (as UTF-8 or UTF-16LE). */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const patterns = [Buffer.from(needle, "utf8"), Buffer.from(needle, "utf16le")];
  const walk = (path: string): void => {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined || stat.isSymbolicLink()) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) walk(join(path, entry));
      return;
    }
    if (!stat.isFile()) return;
    const bytes = readFileSync(path);
    if (patterns.some((pattern) => bytes.includes(pattern))) hits.push(path);
  };
  walk(dir);
  return hits;
}

describe("team sign-in", () => {
  test("login through the identity API with PKCE; with no server answering, registration fails closed with its code", async () => {
    const page = await openTeamWindow();
    const port = await freePort();
    await configure(page, `http://127.0.0.1:${port}`);
    await signIn(page, "alice", "alice-pw");
    await expect.poll(() => page.locator("#account").textContent(), { timeout: 15_000 }).toContain("alice");
    await expect
      .poll(() => page.locator("#result").textContent(), { timeout: 15_000 })
      .toBe(`ERR_SERVER_UNREACHABLE: The hitl server at http://127.0.0.1:${port} did not answer (Failed to fetch).`);
    // The window keeps no refresh token (it never refreshes): the test saw one on the wire, the page dropped it.
    expect(issuedTokens.length).toBeGreaterThanOrEqual(2);
    await page.close();
  });

  test("tokens stay in the team window: not in the profile on disk, extension storage, the host log, or the worker", async () => {
    expect(issuedTokens.length).toBeGreaterThan(0);
    const storage = (await session.serviceWorker.evaluate(() => chrome.storage.local.get(null))) as Record<string, unknown>;
    const storageText = JSON.stringify(storage);
    const hostLog = readFileSync(join(session.stateDir, "signing-host.log"), "utf8");
    for (const token of issuedTokens) {
      // The signature part is unique to this token (a JWT's header/payload could repeat elsewhere).
      const tail = token.includes(".") ? token.split(".")[2]! : token;
      expect(storageText.includes(tail)).toBe(false);
      expect(hostLog.includes(tail)).toBe(false);
      expect(filesContaining(session.userDataDir, tail)).toEqual([]);
      expect(filesContaining(session.configDir, tail)).toEqual([]);
    }
    // What the worker keeps is addresses, not credentials.
    expect(storage["hitl.team.config"]).toEqual({
      keycloakUrl: kc.url,
      realm: "hitl",
      serverUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
  });

  test("only the team window may change the team addresses: the popup (or any other page) is refused", async () => {
    const popup = await session.context.newPage();
    await popup.goto(`chrome-extension://${EXTENSION_ID}/src/popup/popup.html`);
    const answer = await popup.evaluate(() =>
      chrome.runtime.sendMessage({
        type: "team.configure",
        config: { keycloakUrl: "https://evil.example", realm: "hitl", serverUrl: "https://evil.example" },
      }),
    );
    expect(answer).toEqual({ ok: false, error: { code: "ERR_PROTOCOL", message: "Only the team sign-in window may do this." } });
    // The popup shows the addresses in force, with when they were set.
    await expect.poll(() => popup.locator("#status").textContent()).toContain(`Team Keycloak${kc.url} (set `);
    await popup.close();
  });
});

describe("team mode in the CLI", () => {
  test("a key appended to the local approvers file gains nothing: with team.json, the approvers file is not consulted", async () => {
    // The browser's key IS in the approvers file (as an agent could append it), and the human approves...
    await pairBrowser(session, "agent-added");
    const serverPort = await freePort();
    writeFileSync(
      join(session.configDir, "team.json"),
      JSON.stringify({ v: 1, server: `http://127.0.0.1:${serverPort}`, keycloak: kc.url, realm: "hitl", clientId: "hitl-verifier" }),
      { mode: 0o600 },
    );
    writeFileSync(join(session.configDir, "team-client-secret"), `${kc.verifierClientSecret}\n`, { mode: 0o600 });
    const run = session.hitl(["request", "--action", "drop table users", "--timeout", "60", "--json"]);
    const page = await session.nextWindow("approval", { run });
    await clickButton(page, "Approve");
    const result = await run.done;
    // ...but in team mode only the hitl server can turn that into an approval, and it is not there.
    expect(result.code).toBe(3);
    const outcome = JSON.parse(result.stdout) as { decision: string; code: string; message: string };
    expect(outcome.decision).toBe("error");
    expect(outcome.code).toBe("ERR_TEAM_SERVER_UNREACHABLE");
    expect(outcome.message).toMatch(
      new RegExp(`^The hitl server at http://127\\.0\\.0\\.1:${serverPort}/v1/verify cannot be reached \\(.+\\)\\. Run 'hitl doctor'\\.$`),
    );
  });

  test("hitl doctor in team mode shows the mode and names each broken link with its fix", async () => {
    const run = session.hitl(["doctor", "--json"]);
    const result = await run.done;
    expect(result.code).toBe(3);
    const checks = Object.fromEntries(
      (
        JSON.parse(result.stdout) as { checks: { name: string; status: string; code?: string; detail: string; remedy?: string }[] }
      ).checks.map((c) => [c.name, c]),
    );
    expect(checks.mode!.detail).toMatch(
      /^team: receipts verified by http:\/\/127\.0\.0\.1:\d+ \(Keycloak http:\/\/127\.0\.0\.1:\d+, realm hitl\); the approvers file is not used$/,
    );
    expect(checks["team server"]).toMatchObject({ status: "fail", code: "ERR_TEAM_SERVER_UNREACHABLE" });
    expect(checks["team server"]!.remedy).toBe(
      "Check the address (hitl setup --team URL) and your network; ask your admin whether the hitl server runs.",
    );
    expect(checks["team Keycloak"]).toMatchObject({ status: "pass" });
    expect(checks["verify client"]).toMatchObject({ status: "pass", detail: "client hitl-verifier gets a token for /v1/verify" });
    // The browser was paired locally last ("agent-added"), not registered through the team window.
    expect(checks["team login"]).toMatchObject({ status: "fail", code: "ERR_NOT_PAIRED" });
    expect(checks["team login"]!.remedy).toBe("hitl toolbar button → Team sign-in… → Sign in and register this browser's key.");
    expect(checks["approver paired"]).toBeUndefined();
  });
});
