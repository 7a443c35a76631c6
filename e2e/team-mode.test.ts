import { lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import { clientToken } from "../server/test/helpers/team.js";
import { makeApprover, makeChallenge, signReceipt } from "../verifier/dist/testing/index.js";
import { approveRequest, EXTENSION_ID, launchSession } from "./harness/index.js";
import { configureTeam, recordIssuedTokens, sharedTeam, signInAndRegister, TEAM_PAGE } from "./harness/team.js";

/*
 * Team mode in real Chromium with the real extension: the team window's sign-in through the
 * browser's identity API (keycloak-js, PKCE S256) against the Keycloak stand-in, its login page
 * filled by the test; what happens to the tokens; who may configure team mode; and that in team
 * mode `hitl request` ignores the local approvers file.
 */
const { session, kc, server } = sharedTeam([
  { username: "alice", password: "alice-pw", realmRoles: ["hitl-approver"] },
  { username: "mallory", password: "mallory-pw" },
]);
/** Every token the stand-in's token endpoint handed to the browser, seen on the wire by the test. */
const issuedTokens: string[] = [];

let teamPage: Page;

async function openTeamWindow(): Promise<Page> {
  const page = await session.context.newPage();
  await recordIssuedTokens(page, issuedTokens);
  await page.goto(TEAM_PAGE);
  return page;
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

describe("team mode, end to end (Chromium, Keycloak stand-in, real hitl server, real Redis)", () => {
  test("log in through the identity API (keycloak-js, PKCE, max_age=120) → this browser's key is registered", async () => {
    teamPage = await openTeamWindow();
    await configureTeam(teamPage, kc.url, server.url);
    await signInAndRegister(session, teamPage, "alice", "alice-pw");
    await expect
      .poll(() => teamPage.locator("#result").textContent(), { timeout: 20_000 })
      .toMatch(/^Registered this browser's key for alice, valid until /);
    await expect.poll(() => teamPage.locator("#account").textContent()).toContain("Signed inalice");
    await expect.poll(() => teamPage.locator("#keys li[data-state=active]").count()).toBe(1);
    // Keycloak now lists exactly that key for alice, active for 30 days.
    const alice = kc.adminHelpers.userByUsername("alice")!;
    const entries = kc.adminHelpers.user(alice.id)!.attributes.hitl_keys ?? [];
    expect(entries).toHaveLength(1);
    const [, kid, , createdAt, expiresAt] = entries[0]!.split(".");
    expect(Number(expiresAt) - Number(createdAt)).toBe(30 * 86_400);
    expect(await teamPage.locator("#keys li").getAttribute("data-kid")).toBe(kid);
  });

  test("hitl setup --team; hitl request → APPROVED, verified by the server, User: the Keycloak username", async () => {
    const secretFile = join(session.configDir, "verifier-secret.txt");
    writeFileSync(secretFile, `${kc.verifierClientSecret}\n`, { mode: 0o600 });
    const setup = await session.hitl(["setup", "--team", server.url, "--keycloak", kc.url, "--client-secret-file", secretFile]).done;
    expect(setup.code).toBe(0);
    const result = await approveRequest(session, "drop table users");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^APPROVED — signature verified by ${server.url.replace(/\./g, "\\.")}\nUser: alice \\(key [0-9a-f ]{19}\\)\nChallenge: `),
    );
  });

  test("hitl doctor in team mode: every link passes, and the mode says the approvers file is not used", async () => {
    const result = await session.hitl(["doctor", "--json"]).done;
    const checks = Object.fromEntries(
      (JSON.parse(result.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks.map((c) => [c.name, c]),
    );
    expect(checks.mode!.detail).toBe(
      `team: receipts verified by ${server.url} (Keycloak ${kc.url}, realm hitl); the approvers file is not used`,
    );
    expect(checks["team server"]).toMatchObject({ status: "pass", detail: `${server.url} is up (Redis ok, Keycloak ok)` });
    expect(checks["team Keycloak"]).toMatchObject({ status: "pass" });
    expect(checks["verify client"]).toMatchObject({ status: "pass" });
    expect(checks["team login"]!.status).toBe("pass");
    expect(checks["team login"]!.detail).toContain(`Keycloak user ${kc.adminHelpers.userByUsername("alice")!.id}`);
    expect(checks["approver paired"]).toBeUndefined();
    expect(result.code).toBe(0);
  });

  test("tokens stay in the team window: not in the profile on disk, extension storage, the host log, or the CLI's files", async () => {
    expect(issuedTokens.length).toBeGreaterThanOrEqual(2);
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
      expect(filesContaining(session.stateDir, tail)).toEqual([]);
    }
    // What the worker keeps is addresses and the registration, not credentials.
    expect(storage["hitl.team.config"]).toEqual({ keycloakUrl: kc.url, realm: "hitl", serverUrl: server.url });
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
    // The popup shows the addresses in force, with when they were set, and the registration.
    await expect.poll(() => popup.locator("#status").textContent()).toContain(`Team Keycloak${kc.url} (set `);
    await expect.poll(() => popup.locator("#status").textContent()).toMatch(/Team keyalice, until /);
    // Its "Team sign-in…" button opens the team window.
    const opened = session.context.waitForEvent("page", { predicate: (page) => page.url() === TEAM_PAGE, timeout: 10_000 });
    await popup.locator("#team").click();
    const window = await opened;
    await expect.poll(() => window.locator("#keycloak-url").inputValue()).toBe(kc.url);
    await window.close();
    await popup.close();
  });

  test("an agent that appends its own key to the approvers file gains nothing: the server knows only registered keys", async () => {
    const alice = kc.adminHelpers.userByUsername("alice")!;
    const agent = makeApprover(alice.id);
    writeFileSync(
      join(session.configDir, "approvers.json"),
      JSON.stringify({
        v: 1,
        approvers: [
          {
            sub: agent.sub,
            kid: agent.kid,
            publicKey: Buffer.from(agent.publicKey).toString("base64url"),
            label: "alice",
            pairedAt: Math.floor(Date.now() / 1000),
          },
        ],
      }),
      { mode: 0o600 },
    );
    const challenge = makeChallenge();
    const forged = signReceipt(challenge, agent);
    const token = await clientToken(kc, "hitl-verifier", kc.verifierClientSecret);
    const response = await fetch(`${server.url}/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ receipt: forged, expected: { aud: challenge.aud } }),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "ERR_UNKNOWN_KEY" });
    // And the real flow still verifies through the server, whatever the file says.
    expect((await approveRequest(session, "after the agent wrote approvers.json")).code).toBe(0);
  });

  test("a user without hitl-approver cannot register: the team window says ERR_NOT_AN_APPROVER", async () => {
    // A second browser profile (the stand-in keeps one login session per browser).
    const other = await launchSession({ installHost: false });
    try {
      const page = await other.context.newPage();
      await page.goto(TEAM_PAGE);
      await configureTeam(page, kc.url, server.url);
      await signInAndRegister(other, page, "mallory", "mallory-pw");
      await expect.poll(() => page.locator("#result").textContent(), { timeout: 20_000 }).toMatch(/^ERR_NOT_AN_APPROVER: /);
      expect(kc.adminHelpers.userByUsername("mallory")!.attributes.hitl_keys ?? []).toEqual([]);
    } finally {
      await other.close();
    }
  });

  test("a revoked key is refused: revoke in the team window → hitl request denies with ERR_KEY_REVOKED", async () => {
    await signInAndRegister(session, teamPage, "alice", "alice-pw");
    await expect
      .poll(() => teamPage.locator("#result").textContent(), { timeout: 20_000 })
      .toMatch(/^Registered this browser's key for alice/);
    await teamPage.locator("#keys button[data-revoke]").click();
    await expect.poll(() => teamPage.locator("#keys li").first().getAttribute("data-state"), { timeout: 10_000 }).toBe("revoked");
    // The server's directory caches a user for at most 15 s (protocol §3.7); the server forgets on its own writes.
    const result = await approveRequest(session, "after revocation");
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^hitl: ERR_KEY_REVOKED: .+\(verified by the hitl server at http:\/\/127\.0\.0\.1:\d+\)\n$/);
  });

  test("Keycloak stopped → hitl request denies before asking, with a clear message", async () => {
    await kc.stop();
    const result = await session.hitl(["request", "--action", "with Keycloak down", "--timeout", "30"]).done;
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      new RegExp(
        `^hitl: ERR_TEAM_SERVER_UNREACHABLE: Keycloak at ${kc.url.replace(/\./g, "\\.")}/realms/hitl/protocol/openid-connect/token cannot be reached \\(.+\\)\\. Run 'hitl doctor'\\.\n$`,
      ),
    );
  });
});
