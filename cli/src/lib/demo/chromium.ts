import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HitlError } from "@hitl/verifier";

export interface ChromiumLaunch {
  executable: string;
  userDataDir: string;
  /** The unpacked, built extension (extension/dist/chromium). */
  extensionDir: string;
  headless: boolean;
  /** Open a DevTools endpoint on 127.0.0.1 (random port) so playwright can click for us. */
  remoteDebugging: boolean;
  /** The browser's environment: the native host it starts inherits HITL_PORT & co. from it. */
  env: NodeJS.ProcessEnv;
  /** Chromium is chatty on stderr; its output goes here instead of the demo's terminal. */
  logFile: string;
}

export interface RunningChromium {
  pid: number;
  /** The DevTools port, read from <user-data-dir>/DevToolsActivePort once Chromium wrote it. */
  devtoolsPort(timeoutMs?: number): Promise<number>;
  /** SIGTERM by pid, SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

/**
 * Start Chromium ourselves (not through an automation driver) so the human gets a normal
 * window, and we hold its pid for shutdown. A fresh --user-data-dir keeps the demo away from the
 * user's own profile, and is where Chromium looks for our native-host manifest.
 */
export function launchChromium(options: ChromiumLaunch): RunningChromium {
  const args = [
    `--user-data-dir=${options.userDataDir}`,
    `--load-extension=${options.extensionDir}`,
    `--disable-extensions-except=${options.extensionDir}`,
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  // Chromium refuses to start as root inside its sandbox (containers, CI); elsewhere keep the sandbox.
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  if (options.headless) args.push("--headless=new", "--disable-gpu");
  if (options.remoteDebugging) args.push("--remote-debugging-port=0");
  args.push("about:blank");

  const log = createWriteStream(options.logFile, { flags: "a" });
  // Its own process group: a Ctrl-C in the terminal reaches the demo, which withdraws the request
  // first and then stops the browser itself, in that order.
  const child: ChildProcess = spawn(options.executable, args, { env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  if (child.pid === undefined) {
    throw new HitlError("ERR_CONFIG", `Could not start ${options.executable}. Set HITL_CHROMIUM to your Chromium or Chrome binary.`);
  }
  const pid = child.pid;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  return {
    pid,
    async devtoolsPort(timeoutMs = 15_000) {
      const file = join(options.userDataDir, "DevToolsActivePort");
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const text = await readFile(file, "utf8").catch(() => "");
        const port = Number(text.split("\n")[0]);
        if (Number.isInteger(port) && port > 0) return port;
        if (child.exitCode !== null) break;
        await delay(100);
      }
      throw new HitlError("ERR_INTERNAL", `Chromium did not open its DevTools port within ${timeoutMs} ms; see ${options.logFile}.`);
    },
    async stop() {
      // The whole process group we created (browser, zygotes, renderers, GPU), not only the
      // main pid: a straggler would keep writing into the profile we are about to delete.
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(pid, "SIGTERM");
        const killer = setTimeout(() => signalGroup(pid, "SIGKILL"), 5000);
        await exited;
        clearTimeout(killer);
      }
      signalGroup(pid, "SIGKILL");
      log.end();
    },
  };
}

/** Signal every process in the group led by `pid` (spawned detached); quiet once it is gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: nothing left in the group.
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
