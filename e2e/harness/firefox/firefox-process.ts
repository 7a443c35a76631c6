import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../paths.js";
import { BidiConnection } from "./bidi.js";

export const FIREFOX = process.env.HITL_E2E_FIREFOX ?? "/usr/bin/firefox-esr";
export const FIREFOX_EXTENSION_DIR = `${REPO_ROOT}extension/dist/firefox`;

/** One run of firefox-esr on a profile, with the extension installed as a temporary add-on. */
export interface RunningFirefox {
  readonly pid: number;
  readonly bidi: BidiConnection;
  /** stdout + stderr so far (the last 64 KiB). */
  log(): string;
  /** Close the browser (BiDi browser.close), then kill its process group by its pid. */
  stop(): Promise<void>;
}

/** Prefs written to the profile's user.js before every start. */
export function userPrefs(backgroundIdleMs: number | undefined): string {
  const prefs: Record<string, string | number | boolean> = {
    // The extension's console.* (background included) goes to stdout: failures explain themselves.
    "devtools.console.stdout.chrome": true,
    "devtools.console.stdout.content": true,
    "browser.shell.checkDefaultBrowser": false,
    "browser.aboutwelcome.enabled": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.reportingpolicy.firstRun": false,
    ...(backgroundIdleMs !== undefined && { "extensions.background.idle.timeout": backgroundIdleMs }),
  };
  return Object.entries(prefs)
    .map(([name, value]) => `user_pref(${JSON.stringify(name)}, ${JSON.stringify(value)});\n`)
    .join("");
}

/**
 * `firefox-esr --headless --no-remote --profile DIR --remote-debugging-port=0`, then a BiDi
 * session and `webExtension.install {type: "path"}`: a temporary add-on, as about:debugging
 * loads it. Firefox's environment (HOME, HITL_*) is inherited by the native host it starts.
 */
export async function startFirefox(profile: string, env: NodeJS.ProcessEnv, backgroundIdleMs?: number): Promise<RunningFirefox> {
  writeFileSync(join(profile, "user.js"), userPrefs(backgroundIdleMs));
  const child = spawn(FIREFOX, ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port=0", "about:blank"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: content processes go down with it in stop()
  });
  if (child.pid === undefined) throw new Error(`Could not start ${FIREFOX}.`);
  const pid = child.pid;
  let log = "";
  // stderr has the BiDi address; stdout the extension's console (devtools.console.stdout.*).
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8").on("data", (chunk: string) => {
      log = (log + chunk).slice(-64 * 1024);
    });
  }
  let bidi: BidiConnection | undefined;
  const stop = async () => {
    if (bidi !== undefined) {
      await bidi.command("browser.close", {}, 5_000).catch(() => {});
      bidi.close();
    }
    await exited(child, 10_000);
    killGroup(pid);
  };
  try {
    bidi = await BidiConnection.connect(await bidiUrl(child, () => log));
    await bidi.command("webExtension.install", { extensionData: { type: "path", path: FIREFOX_EXTENSION_DIR } });
  } catch (error) {
    await stop();
    throw new Error(`Firefox did not start with the extension: ${error instanceof Error ? error.message : error}\n${log}`);
  }
  return { pid, bidi, log: () => log, stop };
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
