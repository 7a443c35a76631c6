import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page, type Worker } from "playwright-core";
import type { HealthResponseBody } from "../../verifier/dist/protocol/index.js";
import { chromiumArgs } from "./chromium-args.mjs";
import { type CliRun, type RunHitlOptions, runHitl } from "./cli.js";
import { freePort } from "./free-port.js";
import { httpJson } from "./http.js";
import { PageQueue, type WindowKind } from "./page-queue.js";
import { ARTIFACTS_DIR, CHROMIUM, EXTENSION_DIR } from "./paths.js";

export const EXTENSION_ID = "gdikjmbmddjjemjnooacmbhlponkepgb";

/**
 * One real Chromium with the built extension and a fresh profile; the real signing host,
 * registered by `hitl setup` and started by the browser over native messaging, on a random port;
 * isolated config/state dirs. close() stops everything it started: the CLI children by pid, the
 * browser, then the host by pid.
 */
export interface BrowserSession {
  readonly context: BrowserContext;
  readonly serviceWorker: Worker;
  readonly port: number;
  /** Environment for the CLI: the same HITL_* the browser (and so the host) got. */
  readonly env: NodeJS.ProcessEnv;
  readonly configDir: string;
  readonly stateDir: string;
  readonly userDataDir: string;
  readonly windows: PageQueue;
  hitl(args: readonly string[], options?: RunHitlOptions): CliRun;
  health(): Promise<HealthResponseBody>;
  waitForHealth(predicate: (health: HealthResponseBody) => boolean, timeoutMs?: number): Promise<HealthResponseBody>;
  /**
   * The next approval/pairing window, once its content has rendered. Given the CLI run that
   * should cause it, fails at once (with that run's output) if the run ends first.
   */
  nextWindow(kind: WindowKind, options?: { run?: CliRun; timeoutMs?: number }): Promise<Page>;
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
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
  const root = mkdtempSync(join(tmpdir(), "hitl-e2e-"));
  const userDataDir = join(root, "profile");
  const configDir = join(root, "config");
  const stateDir = join(root, "state");
  for (const dir of [userDataDir, configDir, stateDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = options.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env, HITL_PORT: String(port), HITL_CONFIG_DIR: configDir, HITL_STATE_DIR: stateDir };
  delete env.HITL_REDIS_URL; // the embedded replay store, inside stateDir
  if (installHost) await installHostWithSetup(userDataDir, env);

  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: null, // pages keep the size of the window the extension opened
    args: CHROMIUM_ARGS,
    env: env as Record<string, string>,
  });
  const windows = new PageQueue(context);
  const children = new Set<CliRun>();
  let hostPid: number | undefined;

  const health = async (): Promise<HealthResponseBody> => {
    const answer = await httpJson(port, "GET", "/health");
    if (answer.status !== 200) throw new Error(`GET /health answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const body = answer.body as HealthResponseBody;
    hostPid = body.host.pid;
    return body;
  };

  const waitForHealth = async (predicate: (h: HealthResponseBody) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const body = await health();
        if (predicate(body)) return body;
        last = body;
      } catch (error) {
        last = error instanceof Error ? error.message : error;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`The signing host did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  };

  const session: BrowserSession = {
    context,
    serviceWorker: context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 15_000 })),
    port,
    env,
    configDir,
    stateDir,
    userDataDir,
    windows,
    hitl(args, options) {
      const run = runHitl(args, env, options);
      children.add(run);
      void run.done.finally(() => children.delete(run));
      return run;
    },
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
    async close() {
      for (const run of children) run.signal("SIGKILL");
      await context.close().catch(() => {});
      // The browser normally takes its host down with it; make sure, by pid.
      if (hostPid !== undefined) killIfAlive(hostPid);
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

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
  } catch {
    return;
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // exited meanwhile
  }
}
