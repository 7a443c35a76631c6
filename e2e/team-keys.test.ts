import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, test } from "vitest";
import type { CliRun } from "./harness/cli.js";
import { approveRequest } from "./harness/index.js";
import { configureTeam, recordIssuedTokens, sharedTeam, signInAndRegister, submitLogin, TEAM_PAGE } from "./harness/team.js";

/*
 * `hitl keys list|revoke` end to end: real CLI → real signing host (POST /keys/*) → native
 * messaging → the real extension, which opens its team window for the request; the test signs in
 * there (the stand-in's login page) and clicks as the human would. The window calls the real hitl
 * server with its own token; the CLI gets public facts only.
 */
const { session, kc, server } = sharedTeam([{ username: "alice", password: "alice-pw", realmRoles: ["hitl-approver"] }]);
let registeredKid: string;
const issuedTokens: string[] = [];
/** Everything the `hitl keys` runs printed. */
let cliOutput = "";

beforeAll(async () => {
  await recordIssuedTokens(session.context, issuedTokens);
});

/** The team window the extension opens for the CLI's request; fails at once if the run ends first. */
async function teamWindowFor(run: CliRun): Promise<Page> {
  const opened = session.context.waitForEvent("page", { predicate: (page) => page.url().startsWith(TEAM_PAGE), timeout: 15_000 });
  const ended = run.done.then((result) => {
    throw new Error(`hitl ended before the team window opened: ${JSON.stringify(result)}`);
  });
  const page = await Promise.race([opened, ended]);
  await expect.poll(() => page.locator("#cli").isVisible(), { timeout: 10_000 }).toBe(true);
  return page;
}

/** "Sign in" in the CLI's team window: the stand-in's login page, filled as the human would. */
async function signInThere(page: Page): Promise<void> {
  const authWindow = session.context.waitForEvent("page", {
    predicate: (p) => !p.url().startsWith("chrome-extension://"),
    timeout: 15_000,
  });
  await page.locator("#cli-sign-in").click();
  await submitLogin(await authWindow, "alice", "alice-pw");
}

describe("hitl keys list|revoke through the extension's team window (Chromium, Keycloak stand-in, real hitl server)", () => {
  test("setup: this browser's key registered, hitl setup --team", async () => {
    const page = await session.context.newPage();
    await page.goto(TEAM_PAGE);
    await configureTeam(page, kc.url, server.url);
    await signInAndRegister(session, page, "alice", "alice-pw");
    await expect.poll(() => page.locator("#result").textContent(), { timeout: 20_000 }).toMatch(/^Registered this browser's key for alice/);
    const alice = kc.adminHelpers.userByUsername("alice")!;
    registeredKid = kc.adminHelpers.user(alice.id)!.attributes.hitl_keys![0]!.split(".")[1]!;
    await page.close();
    const secretFile = join(session.configDir, "verifier-secret.txt");
    writeFileSync(secretFile, `${kc.verifierClientSecret}\n`, { mode: 0o600 });
    expect((await session.hitl(["setup", "--team", server.url, "--keycloak", kc.url, "--client-secret-file", secretFile]).done).code).toBe(
      0,
    );
  });

  test("hitl keys list: the team window says the CLI asked, asks for a sign-in, and the CLI gets the registered key (public facts only)", async () => {
    const run = session.hitl(["keys", "list", "--json"]);
    const page = await teamWindowFor(run);
    expect(await page.locator("#cli-text").textContent()).toContain("ran 'hitl keys list'");
    await signInThere(page);
    const result = await run.done;
    cliOutput += result.stdout + result.stderr;
    expect(result.code).toBe(0);
    const { keys } = JSON.parse(result.stdout) as { keys: Record<string, unknown>[] };
    expect(keys).toHaveLength(1);
    expect(Object.keys(keys[0]!).sort()).toEqual(["createdAt", "expiresAt", "kid", "thisBrowser"]);
    expect(keys[0]).toMatchObject({ kid: registeredKid, thisBrowser: true });
    expect((keys[0]!.expiresAt as number) - (keys[0]!.createdAt as number)).toBe(30 * 86_400);
    // The window shows the same list.
    await expect.poll(() => page.locator(`#keys li[data-kid="${registeredKid}"]`).getAttribute("data-state")).toBe("active");
    await page.close();
  });

  test("closing the window before signing in → ERR_TEAM_NOT_SIGNED_IN", async () => {
    const run = session.hitl(["keys", "list"]);
    const page = await teamWindowFor(run);
    await page.close();
    const result = await run.done;
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      "hitl: ERR_TEAM_NOT_SIGNED_IN: The team window was closed before anyone signed in; nothing was listed or revoked. Run the command again and sign in in the window that opens.\n",
    );
  });

  test("hitl keys revoke KID, the human clicks Cancel → ERR_KEYS_REVOKE_CANCELLED (exit 1), and the key still approves", async () => {
    const run = session.hitl(["keys", "revoke", registeredKid]);
    const page = await teamWindowFor(run);
    await signInThere(page);
    await expect.poll(() => page.locator("#cli-confirm").isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.locator("#cli-kid").textContent()).toBe(`Key ${registeredKid} (this browser)`);
    await page.locator("#cli-cancel").click();
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("hitl: ERR_KEYS_REVOKE_CANCELLED: You cancelled in the team window; the key stays valid.\n");
    await page.close();
    const alice = kc.adminHelpers.userByUsername("alice")!;
    expect(kc.adminHelpers.user(alice.id)!.attributes.hitl_keys![0]!.split(".")).toHaveLength(5);
    expect((await approveRequest(session, "after a cancelled revocation")).code).toBe(0);
  });

  test("hitl keys revoke KID, the human confirms that kid → REVOKED, then hitl request is refused with ERR_KEY_REVOKED", async () => {
    const run = session.hitl(["keys", "revoke", registeredKid]);
    const page = await teamWindowFor(run);
    expect(await page.locator("#cli-text").textContent()).toContain("ran 'hitl keys revoke'");
    await signInThere(page);
    await expect.poll(() => page.locator("#cli-confirm").isVisible(), { timeout: 20_000 }).toBe(true);
    await page.locator("#cli-confirm").click();
    const result = await run.done;
    cliOutput += result.stdout + result.stderr;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^REVOKED — key [0-9a-f ]{19} \\(${registeredKid}\\)\n$`));
    // Keycloak now holds the entry with its revokedAt (six dot-separated parts, protocol §3.7).
    const alice = kc.adminHelpers.userByUsername("alice")!;
    expect(kc.adminHelpers.user(alice.id)!.attributes.hitl_keys![0]!.split(".")).toHaveLength(6);
    await page.close();
    const refused = await approveRequest(session, "after revocation from the CLI");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^hitl: ERR_KEY_REVOKED: .+\(verified by the hitl server at http:\/\/127\.0\.0\.1:\d+\)\n$/);
  });

  test("no token of the CLI's sign-ins reached the CLI's output, the host log or the extension's storage", async () => {
    // Each hitl keys run above signed in once in its own window (prompt=login), plus the registration.
    expect(issuedTokens.length).toBeGreaterThanOrEqual(4);
    const hostLog = readFileSync(join(session.stateDir, "signing-host.log"), "utf8");
    expect(hostLog).toContain("keys.revoked");
    const storage = JSON.stringify(await session.serviceWorker.evaluate(() => chrome.storage.local.get(null)));
    for (const token of issuedTokens) {
      const tail = token.includes(".") ? token.split(".")[2]! : token;
      expect(cliOutput.includes(tail)).toBe(false);
      expect(hostLog.includes(tail)).toBe(false);
      expect(storage.includes(tail)).toBe(false);
    }
  });
});
