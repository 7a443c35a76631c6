import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CliRun, runHitl } from "../cli.js";
import { freePort } from "../free-port.js";
import { type HostSession, hostClient, hostEnv, sessionDirs } from "../host-session.js";
import { sharedFor } from "../shared-session.js";
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
export interface FirefoxSession extends HostSession {
  /** The BiDi connection of the current Firefox run (a new one after restart()). */
  readonly bidi: BidiConnection;
  readonly home: string;
  /** The next approval/pairing window once rendered; fails at once if `run` exits first. */
  nextWindow(kind: FirefoxWindowKind, options?: { run?: CliRun; timeoutMs?: number }): Promise<ExtensionWindow>;
  /**
   * Quit Firefox and start it again on the same profile, loading the add-on again (as a developer
   * would); `whileStopped` runs in between, on the quiet profile.
   */
  restart(options?: { whileStopped?: () => Promise<void> | void }): Promise<void>;
  /** The Firefox profile directory. */
  readonly profile: string;
  /** Firefox's output so far (the extension's console included), all runs: for failure messages and checks. */
  browserLog(): string;
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
  const { root, profileDir: profile, configDir, stateDir } = sessionDirs("hitl-e2e-firefox-");
  const home = join(root, "home");
  mkdirSync(home, { mode: 0o700 });
  const port = await freePort();
  const env = hostEnv(
    port,
    { configDir, stateDir },
    {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_CACHE_HOME: join(home, ".cache"),
      XDG_DATA_HOME: join(home, ".local/share"),
      MOZ_CRASHREPORTER_DISABLE: "1",
    },
  );

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
  const handedOut = new Set<string>();
  const browserLog = () => earlierLogs + firefox.log();
  const host = hostClient(port, env, browserLog);

  return {
    get bidi() {
      return firefox.bidi;
    },
    port,
    env,
    home,
    profile,
    configDir,
    stateDir,
    hitl: host.hitl,
    health: host.health,
    waitForHealth: host.waitForHealth,
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
    async restart({ whileStopped } = {}) {
      await firefox.stop();
      earlierLogs += firefox.log();
      await whileStopped?.();
      firefox = await startFirefox(profile, env, options.backgroundIdleMs);
    },
    browserLog,
    async close() {
      host.killStarted();
      await firefox.stop();
      host.killHost();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** One Firefox session for the tests of the enclosing file (or describe block), its extension connected to the host. */
export function sharedFirefoxSession(options: FirefoxSessionOptions = {}): FirefoxSession {
  return sharedFor(async () => {
    const session = await launchFirefoxSession(options);
    await session
      .waitForHealth((h) => h.extension.connected)
      .catch(async (error: unknown) => {
        await session.close();
        throw error;
      });
    return session;
  });
}
