import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HealthResponseBody } from "../../../verifier/dist/protocol/index.js";
import { type CliRun, runHitl } from "../cli.js";
import { freePort } from "../free-port.js";
import { httpJson } from "../http.js";
import { REPO_ROOT } from "../paths.js";
import { BidiConnection } from "./bidi.js";
import { type ExtensionWindow, topLevelContexts, waitInWindow } from "./extension-window.js";

export const FIREFOX = process.env.HITL_E2E_FIREFOX ?? "/usr/bin/firefox-esr";
export const FIREFOX_EXTENSION_DIR = `${REPO_ROOT}extension/dist/firefox`;
export const FIREFOX_EXTENSION_ID = "approver@hitl.dev";

export type FirefoxWindowKind = "approval" | "pairing";

/**
 * Real headless Firefox with a fresh profile, driven over WebDriver BiDi (no Playwright: its
 * Firefox needs a patched build). HOME is a temp dir for Firefox and for `hitl setup`, so the
 * host manifest lands in <temp>/.mozilla/native-messaging-hosts/, never in the real home.
 * The built extension is installed as a temporary add-on (`webExtension.install`, like
 * about:debugging), Firefox starts the real signing host, which inherits HITL_*.
 */
export interface FirefoxSession {
  readonly bidi: BidiConnection;
  readonly firefoxPid: number;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly configDir: string;
  readonly stateDir: string;
  hitl(args: readonly string[]): CliRun;
  health(): Promise<HealthResponseBody>;
  waitForHealth(predicate: (health: HealthResponseBody) => boolean, timeoutMs?: number): Promise<HealthResponseBody>;
  /** The next approval/pairing window once rendered; fails at once if `run` exits first. */
  nextWindow(kind: FirefoxWindowKind, options?: { run?: CliRun; timeoutMs?: number }): Promise<ExtensionWindow>;
  /** Firefox's output so far (the extension's console included): for failure messages. */
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
  if (setup.code !== 0) throw new Error(`hitl setup --browser firefox failed (${setup.code}):\n${setup.stdout}${setup.stderr}`);
  writeFileSync(join(profile, "user.js"), userPrefs(options));

  const firefox = spawn(FIREFOX, ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "about:blank"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: content processes go down with it in close()
  });
  if (firefox.pid === undefined) throw new Error(`Could not start ${FIREFOX}.`);
  const firefoxPid = firefox.pid;
  let log = "";
  // stderr has the BiDi address; stdout the extension's console (devtools.console.stdout.*).
  for (const stream of [firefox.stdout, firefox.stderr]) {
    stream?.setEncoding("utf8").on("data", (chunk: string) => {
      log = (log + chunk).slice(-64 * 1024);
    });
  }
  const children = new Set<CliRun>();
  const handedOut = new Set<string>();
  let hostPid: number | undefined;
  let bidi: BidiConnection | undefined;

  const stop = async () => {
    for (const run of children) run.signal("SIGKILL");
    if (bidi !== undefined) {
      await bidi.command("browser.close", {}, 5_000).catch(() => {});
      bidi.close();
    }
    await exited(firefox, 10_000);
    killGroup(firefoxPid);
    // Firefox normally takes its host down with it; make sure, by pid.
    if (hostPid !== undefined) killIfAlive(hostPid);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    bidi = await BidiConnection.connect(await bidiUrl(firefox, () => log));
    await bidi.command("webExtension.install", { extensionData: { type: "path", path: FIREFOX_EXTENSION_DIR } });
  } catch (error) {
    await stop();
    throw new Error(`Firefox did not start with the extension: ${error instanceof Error ? error.message : error}\n${log}`);
  }
  const connection = bidi;

  const health = async (): Promise<HealthResponseBody> => {
    const answer = await httpJson(port, "GET", "/health");
    if (answer.status !== 200) throw new Error(`GET /health answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const body = answer.body as HealthResponseBody;
    hostPid = body.host.pid;
    return body;
  };

  const session: FirefoxSession = {
    bidi: connection,
    firefoxPid,
    port,
    env,
    home,
    configDir,
    stateDir,
    hitl(args) {
      const run = runHitl(args, env);
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
      throw new Error(`The signing host did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}\n${log}`);
    },
    async nextWindow(kind, { run, timeoutMs = 15_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      const path = `/src/${kind}/${kind}.html`;
      let runEnded = false;
      void run?.done.then(() => {
        runEnded = true;
      });
      while (Date.now() < deadline) {
        const found = (await topLevelContexts(connection)).find((c) => c.url.includes(path) && !handedOut.has(c.context));
        if (found !== undefined) {
          handedOut.add(found.context);
          const window = { context: found.context, url: found.url };
          await waitInWindow(connection, window, RENDERED[kind], `Rendering the ${kind} window`, Math.max(1_000, deadline - Date.now()));
          return window;
        }
        if (runEnded && run !== undefined) {
          const r = await run.done;
          throw new Error(`The CLI exited (${r.code}) before a ${kind} window appeared:\n${r.stdout}${r.stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`No ${kind} window appeared within ${timeoutMs} ms.\n${log}`);
    },
    browserLog: () => log,
    close: stop,
  };
  return session;
}

function userPrefs(options: FirefoxSessionOptions): string {
  const prefs: Record<string, string | number | boolean> = {
    // The extension's console.* (background included) goes to stdout: failures explain themselves.
    "devtools.console.stdout.chrome": true,
    "devtools.console.stdout.content": true,
    "browser.shell.checkDefaultBrowser": false,
    "browser.aboutwelcome.enabled": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.reportingpolicy.firstRun": false,
    ...(options.backgroundIdleMs !== undefined && { "extensions.background.idle.timeout": options.backgroundIdleMs }),
  };
  return Object.entries(prefs)
    .map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});\n`)
    .join("");
}

/** Firefox prints the BiDi address it bound (port 0 = any free one) on stderr. */
function bidiUrl(firefox: ChildProcess, log: () => string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /WebDriver BiDi listening on (ws:\/\/[^\s]+)/.exec(log());
      if (match?.[1] === undefined) return;
      finish();
      resolve(match[1]);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`Firefox printed no BiDi address within ${timeoutMs} ms.`));
    }, timeoutMs);
    const onExit = (code: number | null) => {
      finish();
      reject(new Error(`Firefox exited (${code}) before listening for BiDi.`));
    };
    const finish = () => {
      clearTimeout(timer);
      firefox.stderr?.off("data", check);
      firefox.off("exit", onExit);
    };
    firefox.stderr?.on("data", check);
    firefox.once("exit", onExit);
    check();
  });
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The group Firefox leads (pgid = its pid): stragglers such as content processes. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 0);
    process.kill(pid, "SIGKILL");
  } catch {
    // exited meanwhile
  }
}
