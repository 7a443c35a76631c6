import { type ChildProcess, spawn } from "node:child_process";
import type { Page } from "playwright-core";
import type { BrowserSession } from "./browser-session.js";
import { EXTENSION_ID } from "./browser-session.js";
import { freePort } from "./free-port.js";
import { REPO_ROOT } from "./paths.js";

/** The extension's team window (sign-in, registration, the list of keys). */
export const TEAM_PAGE = `chrome-extension://${EXTENSION_ID}/src/team/team.html`;

/** The real `hitl server` (built CLI) on a port chosen first, so its public URL (the registration aud) is known. */
export async function startHitlServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [`${REPO_ROOT}cli/dist/bin.js`, "server", "--insecure-http", "--host", "127.0.0.1", "--port", String(port)],
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
  const login = await authWindow;
  await login.locator("#username").fill(username);
  await login.locator("#password").fill(password);
  await login.locator("#kc-login").click();
}
