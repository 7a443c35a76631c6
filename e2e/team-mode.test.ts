import { type ChildProcess, spawn } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { KeycloakStandIn } from "../oauth/stand-in/index.js";
import { clientToken, startTeam, type Team } from "../server/test/helpers/team.js";
import { makeApprover, makeChallenge, signReceipt } from "../verifier/dist/testing/index.js";
import { type BrowserSession, clickButton, EXTENSION_ID, freePort, launchSession, REPO_ROOT } from "./harness/index.js";

/*
 * Team mode in real Chromium with the real extension: the team window's sign-in through the
 * browser's identity API (keycloak-js, PKCE S256) against the Keycloak stand-in, its login page
 * filled by the test; what happens to the tokens; who may configure team mode; and that in team
 * mode `hitl request` ignores the local approvers file.
 */
const TEAM_PAGE = `chrome-extension://${EXTENSION_ID}/src/team/team.html`;

let session: BrowserSession;
let team: Team;
let kc: KeycloakStandIn;
let server: ChildProcess;
let serverUrl: string;
/** Every token the stand-in's token endpoint handed to the browser, seen on the wire by the test. */
const issuedTokens: string[] = [];
/** The real `hitl server` (built CLI) on a port chosen first, so its public URL (the registration aud) is known. */
async function startHitlServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [`${REPO_ROOT}cli/dist/bin.cjs`, "server", "--insecure-http", "--host", "127.0.0.1", "--port", String(port)],
    {
      env: { ...process.env, ...env, HITL_SERVER_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hitl server did not start: ${output}`)), 15_000);
    const seen = (chunk: Buffer) => {
      output += chunk;
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`hitl server exited with ${code}: ${output}`)));
  });
  return { child, url };
}

beforeAll(async () => {
  team = await startTeam([
    { username: "alice", password: "alice-pw", realmRoles: ["hitl-approver"] },
    { username: "mallory", password: "mallory-pw" },
  ]);
  kc = team.kc;
  ({ child: server, url: serverUrl } = await startHitlServer(team.env));
  session = await launchSession();
}, 60_000);
afterAll(async () => {
  await session?.close();
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    process.kill(server.pid, "SIGTERM");
    await exited;
  }
  await team?.stop();
});

let teamPage: Page;

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

/** `hitl request` → approval window → Approve; the CLI's result. */
async function approveRequest(action: string) {
  const run = session.hitl(["request", "--action", action, "--timeout", "60"]);
  const page = await session.nextWindow("approval", { run });
  await clickButton(page, "Approve");
  return run.done;
}

describe("team mode, end to end (Chromium, Keycloak stand-in, real hitl server, real Redis)", () => {
  test("log in through the identity API (keycloak-js, PKCE, max_age=120) → this browser's key is registered", async () => {
    teamPage = await openTeamWindow();
    await configure(teamPage, serverUrl);
    await signIn(teamPage, "alice", "alice-pw");
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
    const setup = await session.hitl(["setup", "--team", serverUrl, "--keycloak", kc.url, "--client-secret-file", secretFile]).done;
    expect(setup.code).toBe(0);
    const result = await approveRequest("drop table users");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(`^APPROVED — signature verified by ${serverUrl.replace(/\./g, "\\.")}\nUser: alice \\(key [0-9a-f ]{19}\\)\nChallenge: `),
    );
  });

  test("hitl doctor in team mode: every link passes, and the mode says the approvers file is not used", async () => {
    const result = await session.hitl(["doctor", "--json"]).done;
    const checks = Object.fromEntries(
      (JSON.parse(result.stdout) as { checks: { name: string; status: string; detail: string }[] }).checks.map((c) => [c.name, c]),
    );
    expect(checks.mode!.detail).toBe(
      `team: receipts verified by ${serverUrl} (Keycloak ${kc.url}, realm hitl); the approvers file is not used`,
    );
    expect(checks["team server"]).toMatchObject({ status: "pass", detail: `${serverUrl} is up (Redis ok, Keycloak ok)` });
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
    expect(storage["hitl.team.config"]).toEqual({ keycloakUrl: kc.url, realm: "hitl", serverUrl });
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
    const response = await fetch(`${serverUrl}/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ receipt: forged, expected: { aud: challenge.aud } }),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ code: "ERR_UNKNOWN_KEY" });
    // And the real flow still verifies through the server, whatever the file says.
    expect((await approveRequest("after the agent wrote approvers.json")).code).toBe(0);
  });

  test("a user without hitl-approver cannot register: the team window says ERR_NOT_AN_APPROVER", async () => {
    // A second browser profile (the stand-in keeps one login session per browser).
    const other = await launchSession({ installHost: false });
    try {
      const page = await other.context.newPage();
      await page.goto(TEAM_PAGE);
      await page.locator("#keycloak-url").fill(kc.url);
      await page.locator("#realm").fill("hitl");
      await page.locator("#server-url").fill(serverUrl);
      await Promise.all([page.waitForEvent("load"), page.locator("#save").click()]);
      const authWindow = other.context.waitForEvent("page", { timeout: 15_000 });
      await page.locator("#register").click();
      const login = await authWindow;
      await login.locator("#username").fill("mallory");
      await login.locator("#password").fill("mallory-pw");
      await login.locator("#kc-login").click();
      await expect.poll(() => page.locator("#result").textContent(), { timeout: 20_000 }).toMatch(/^ERR_NOT_AN_APPROVER: /);
      expect(kc.adminHelpers.userByUsername("mallory")!.attributes.hitl_keys ?? []).toEqual([]);
    } finally {
      await other.close();
    }
  });

  test("a revoked key is refused: revoke in the team window → hitl request denies with ERR_KEY_REVOKED", async () => {
    await signIn(teamPage, "alice", "alice-pw");
    await expect
      .poll(() => teamPage.locator("#result").textContent(), { timeout: 20_000 })
      .toMatch(/^Registered this browser's key for alice/);
    await teamPage.locator("#keys button[data-revoke]").click();
    await expect.poll(() => teamPage.locator("#keys li").first().getAttribute("data-state"), { timeout: 10_000 }).toBe("revoked");
    // The server's directory caches a user for at most 15 s (protocol §3.7); the server forgets on its own writes.
    const result = await approveRequest("after revocation");
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
