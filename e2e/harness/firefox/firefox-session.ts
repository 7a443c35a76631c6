import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HealthResponseBody } from "../../../verifier/dist/protocol/index.js";
import { type CliRun, type RunHitlOptions, runHitl } from "../cli.js";
import { freePort } from "../free-port.js";
import { httpJson } from "../http.js";
import type { BidiConnection } from "./bidi.js";
import { type ExtensionWindow, topLevelContexts, waitInWindow } from "./extension-window.js";
import { type RunningFirefox, startFirefox } from "./firefox-process.js";

export const FIREFOX_EXTENSION_ID = "approver@hitl.dev";

export type FirefoxWindowKind = "approval" | "pairing";

/**
 * Real headless Firefox with a fresh profile, driven over WebDriver BiDi (no Playwright: its
 * Firefox needs a patched build). HOME is a temp dir for Firefox and for `hitl setup`, so the
 * host manifest lands in <temp>/.mozilla/native-messaging-hosts/, never in the real home.
 * Firefox starts the real signing host, which inherits HITL_*.
 */
export interface FirefoxSession {
  /** The BiDi connection of the current Firefox run (a new one after restart()). */
  readonly bidi: BidiConnection;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly configDir: string;
  readonly stateDir: string;
  hitl(args: readonly string[], options?: RunHitlOptions): CliRun;
  health(): Promise<HealthResponseBody>;
  waitForHealth(predicate: (health: HealthResponseBody) => boolean, timeoutMs?: number): Promise<HealthResponseBody>;
  /** The next approval/pairing window once rendered; fails at once if `run` exits first. */
  nextWindow(kind: FirefoxWindowKind, options?: { run?: CliRun; timeoutMs?: number }): Promise<ExtensionWindow>;
  /** Quit Firefox and start it again on the same profile, loading the add-on again (as a developer would). */
  restart(): Promise<void>;
  /** Firefox's output so far (the extension's console included), all runs: for failure messages and checks. */
  browserLog(): string;
  close(): Promise<void>;
}

export interface FirefoxSessionOptions {
  /** Firefox suspends an idle event page after this many ms (its default is 30 s). */
  backgroundIdleMs?: number;
}

const RENDERED: Record<FirefoxWindowKind, string> = {
  approval: "() => document.querySelector('#summary span') ? 'yes' : ''",
  pairing: "() => (document.querySelector('#code')?.textContent ?? '').trim() !== '' ? 'yes' : ''",
};

export async function launchFirefoxSession(options: FirefoxSessionOptions = {}): Promise<FirefoxSession> {
  const root = mkdtempSync(join(tmpdir(), "hitl-e2e-firefox-"));
  const home = join(root, "home");
  const profile = join(root, "profile");
  const configDir = join(root, "config");
  const stateDir = join(root, "state");
  for (const dir of [home, profile, configDir, stateDir]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_DATA_HOME: join(home, ".local/share"),
    HITL_PORT: String(port),
    HITL_CONFIG_DIR: configDir,
    HITL_STATE_DIR: stateDir,
    MOZ_CRASHREPORTER_DISABLE: "1",
  };
  delete env.HITL_REDIS_URL; // the embedded replay store, inside stateDir

  const setup = await runHitl(["setup", "--browser", "firefox"], env).done;
  if (setup.code !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`hitl setup --browser firefox failed (${setup.code}):\n${setup.stdout}${setup.stderr}`);
  }
  let firefox: RunningFirefox;
  try {
    firefox = await startFirefox(profile, env, options.backgroundIdleMs);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  let earlierLogs = "";
  const children = new Set<CliRun>();
  const handedOut = new Set<string>();
  let hostPid: number | undefined;

  const health = async (): Promise<HealthResponseBody> => {
    const answer = await httpJson(port, "GET", "/health");
    if (answer.status !== 200) throw new Error(`GET /health answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const body = answer.body as HealthResponseBody;
    hostPid = body.host.pid;
    return body;
  };
  const browserLog = () => earlierLogs + firefox.log();

  return {
    get bidi() {
      return firefox.bidi;
    },
    port,
    env,
    home,
    configDir,
    stateDir,
    hitl(args, options) {
      const run = runHitl(args, env, options);
      children.add(run);
      void run.done.finally(() => children.delete(run));
      return run;
    },
    health,
    async waitForHealth(predicate, timeoutMs = 20_000) {
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
      throw new Error(
        `The signing host did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${browserLog()}`,
      );
    },
    async nextWindow(kind, { run, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      const path = `/src/${kind}/${kind}.html`;
      let runEnded = false;
      void run?.done.then(() => {
        runEnded = true;
      });
      while (Date.now() < deadline) {
        const found = (await topLevelContexts(firefox.bidi)).find((c) => c.url.includes(path) && !handedOut.has(c.context));
        if (found !== undefined) {
          handedOut.add(found.context);
          const window = { context: found.context, url: found.url };
          await waitInWindow(firefox.bidi, window, RENDERED[kind], `Rendering the ${kind} window`, Math.max(1_000, deadline - Date.now()));
          return window;
        }
        if (runEnded && run !== undefined) {
          const r = await run.done;
          throw new Error(`The CLI exited (${r.code}) before a ${kind} window appeared:\n${r.stdout}${r.stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`No ${kind} window appeared within ${timeoutMs} ms.\n${browserLog()}`);
    },
    async restart() {
      await firefox.stop();
      earlierLogs += firefox.log();
      firefox = await startFirefox(profile, env, options.backgroundIdleMs);
    },
    browserLog,
    async close() {
      for (const run of children) run.signal("SIGKILL");
      await firefox.stop();
      // Firefox normally takes its host down with it; make sure, by pid.
      if (hostPid !== undefined) killIfAlive(hostPid);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
    process.kill(pid, "SIGKILL");
  } catch {
    // exited meanwhile
  }
}
