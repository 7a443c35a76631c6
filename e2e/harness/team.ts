import { type ChildProcess, spawn } from "node:child_process";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import type { KeycloakStandIn, StandInUserSpec } from "../../oauth/stand-in/index.js";
import { startTeam, type Team } from "../../server/test/helpers/team.js";
import { type BrowserSession, EXTENSION_ID, launchSession } from "./browser-session.js";
import { freePort } from "./free-port.js";
import { REPO_ROOT } from "./paths.js";
import { lateBound } from "./shared-session.js";

/** The extension's team window (sign-in, registration, the list of keys). */
export const TEAM_PAGE = `chrome-extension://${EXTENSION_ID}/src/team/team.html`;

export interface HitlServerProcess {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** The real `hitl server` (built CLI) on a port chosen first, so its public URL (the registration aud) is known. */
export async function startHitlServer(env: NodeJS.ProcessEnv): Promise<HitlServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [`${REPO_ROOT}cli/dist/bin.cjs`, "server", "--insecure-http", "--host", "127.0.0.1", "--port", String(port)],
    { env: { ...process.env, ...env, HITL_SERVER_URL: url }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hitl server did not start: ${output}`)), 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk;
      if (output.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    child.once("exit", (code) => reject(new Error(`hitl server exited with ${code}: ${output}`)));
  });
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(child.pid, "SIGTERM");
    await exited;
  };
  return { child, url, stop };
}

export interface SharedTeam {
  /** The Keycloak stand-in and the real Redis. */
  team: Team;
  kc: KeycloakStandIn;
  server: HitlServerProcess;
  session: BrowserSession;
}

/**
 * What the tests of a team-mode file share: the Keycloak stand-in with `users` and a real Redis
 * (`team`), the real `hitl server` on them, and one Chromium session (not paired); started before
 * the first test, stopped after the last.
 */
export function sharedTeam(users: StandInUserSpec[]): SharedTeam {
  const team = lateBound<Team>("The team (Keycloak stand-in and Redis)");
  const kc = lateBound<KeycloakStandIn>("The Keycloak stand-in");
  const server = lateBound<HitlServerProcess>("The hitl server");
  const session = lateBound<BrowserSession>("The browser session");
  beforeAll(async () => {
    team.set(await startTeam(users));
    kc.set(team.value.kc);
    server.set(await startHitlServer(team.value.env));
    session.set(await launchSession());
  }, 60_000);
  afterAll(async () => {
    await session.current()?.close();
    await server.current()?.stop();
    await team.current()?.stop();
  });
  return { team: team.value, kc: kc.value, server: server.value, session: session.value };
}

/** Type the addresses into the team window and save them (the page reloads). */
export async function configureTeam(page: Page, keycloakUrl: string, serverUrl: string): Promise<void> {
  await page.locator("#keycloak-url").fill(keycloakUrl);
  await page.locator("#realm").fill("hitl");
  await page.locator("#server-url").fill(serverUrl);
  await Promise.all([page.waitForEvent("load"), page.locator("#save").click()]);
}

/** Click register, fill the stand-in's login page in the browser's auth window, submit. */
export async function signInAndRegister(session: BrowserSession, page: Page, username: string, password: string): Promise<void> {
  const authWindow = session.context.waitForEvent("page", { timeout: 15_000 });
  await page.locator("#register").click();
  await submitLogin(await authWindow, username, password);
}

/** Fill the Keycloak stand-in's login page and submit it, as the human would. */
export async function submitLogin(login: Page, username: string, password: string): Promise<void> {
  await login.locator("#username").fill(username);
  await login.locator("#password").fill(password);
  await login.locator("#kc-login").click();
}

/**
 * Observe (not alter) the token endpoint's answers seen by `target`, pushing every token the
 * browser gets into `issued`, to look for them later where they must not be.
 */
export async function recordIssuedTokens(target: Page | BrowserContext, issued: string[]): Promise<void> {
  await target.route("**/protocol/openid-connect/token", async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as Record<string, unknown>;
    for (const name of ["access_token", "id_token", "refresh_token"]) if (typeof body[name] === "string") issued.push(body[name] as string);
    await route.fulfill({ response, json: body });
  });
}
