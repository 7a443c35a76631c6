import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page, type Worker } from "playwright-core";
import { chromiumArgs } from "./chromium-args.mjs";
import { type CliRun, runHitl } from "./cli.js";
import { freePort } from "./free-port.js";
import { type HostSession, hostClient, hostEnv, killIfAlive, sessionDirs } from "./host-session.js";
import { PageQueue, type WindowKind } from "./page-queue.js";
import { ARTIFACTS_DIR, CHROMIUM, EXTENSION_DIR } from "./paths.js";

export const EXTENSION_ID = "gdikjmbmddjjemjnooacmbhlponkepgb";

/**
 * One real Chromium with the built extension and a fresh profile; the real signing host,
 * registered by `hitl setup` and started by the browser over native messaging, on a random port;
 * isolated config/state dirs. close() stops everything it started: the CLI children by pid, the
 * browser, then the host by pid.
 */
export interface BrowserSession extends HostSession {
  readonly context: BrowserContext;
  readonly serviceWorker: Worker;
  readonly userDataDir: string;
  readonly windows: PageQueue;
  /**
   * The next approval/pairing window, once its content has rendered. Given the CLI run that
   * should cause it, fails at once (with that run's output) if the run ends first.
   */
  nextWindow(kind: WindowKind, options?: { run?: CliRun; timeoutMs?: number }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
  /**
   * Quit Chromium (its files flushed, its host gone), run `whileStopped` on the quiet profile,
   * then start it again on the same profile and wait for the extension to connect.
   */
  restart(options?: { whileStopped?: () => Promise<void> | void }): Promise<void>;
}

export interface SessionOptions {
  /** Register the native host for this profile (default true). */
  installHost?: boolean;
  /** Wait until the extension is connected to the host (default: when the host is installed). */
  waitForConnection?: boolean;
  /** Use this port instead of a free one (e.g. one the test holds, to see the host refuse it). */
  port?: number;
}

const CHROMIUM_ARGS = chromiumArgs(EXTENSION_DIR);

export async function launchSession(options: SessionOptions = {}): Promise<BrowserSession> {
  const installHost = options.installHost ?? true;
  const { root, profileDir: userDataDir, configDir, stateDir } = sessionDirs("hitl-e2e-");
  const port = options.port ?? (await freePort());
  const env = hostEnv(port, { configDir, stateDir });
  if (installHost) await installHostWithSetup(userDataDir, env);

  const launch = () =>
    chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: null, // pages keep the size of the window the extension opened
      args: CHROMIUM_ARGS,
      env: env as Record<string, string>,
    });
  let context = await launch();
  let windows = new PageQueue(context);
  const workerOf = async (of: BrowserContext) => of.serviceWorkers()[0] ?? (await of.waitForEvent("serviceworker", { timeout: 15_000 }));
  let serviceWorker = await workerOf(context);
  const host = hostClient(port, env);
  const { health, waitForHealth } = host;

  const session: BrowserSession = {
    get context() {
      return context;
    },
    get serviceWorker() {
      return serviceWorker;
    },
    port,
    env,
    configDir,
    stateDir,
    userDataDir,
    get windows() {
      return windows;
    },
    hitl: host.hitl,
    health,
    waitForHealth,
    async nextWindow(kind, { run, timeoutMs = 15_000 } = {}) {
      const appeared = windows.next(kind, timeoutMs);
      const page = await (run === undefined
        ? appeared
        : Promise.race([
            appeared,
            run.done.then((r) => {
              throw new Error(`The CLI exited (${r.code}) before a ${kind} window appeared:\n${r.stdout}${r.stderr}`);
            }),
          ]));
      await page
        .locator(kind === "approval" ? "#summary span" : "#code:not(:empty)")
        .first()
        .waitFor({ timeout: timeoutMs });
      return page;
    },
    async screenshot(page, name) {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async restart({ whileStopped } = {}) {
      const pid = (await health().catch(() => undefined))?.host.pid;
      await context.close();
      if (pid !== undefined) await waitUntilGone(pid);
      await whileStopped?.();
      context = await launch();
      windows = new PageQueue(context);
      serviceWorker = await workerOf(context);
      await waitForHealth((h) => h.extension.connected);
    },
    async close() {
      host.killStarted();
      await context.close().catch(() => {});
      host.killHost();
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (options.waitForConnection ?? installHost) await waitForHealth((h) => h.extension.connected);
  return session;
}

/** `hitl setup --browser chromium --user-data-dir DIR`: the real installer writes launcher and manifest. */
async function installHostWithSetup(userDataDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runHitl(["setup", "--browser", "chromium", "--user-data-dir", userDataDir, "--extension-id", EXTENSION_ID], env)
    .done;
  if (result.code !== 0) throw new Error(`hitl setup failed (${result.code}):\n${result.stdout}${result.stderr}`);
}

/** The browser takes its host down when it quits; wait for that (10 s), then make sure by pid. */
async function waitUntilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  killIfAlive(pid);
}
