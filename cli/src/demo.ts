#!/usr/bin/env node
/*
 * `pnpm demo`: the whole path in one command, for someone who just cloned the repository.
 * Fresh Chromium profile + built extension + native host manifest + isolated hitl dirs, then
 * `hitl pair` and `hitl request --action "delete /tmp/testfile"` for the human to click.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { access, constants, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { getHostHealth } from "@hitl/sdk";
import { formatFingerprint, HitlError, makePrivateDirectory } from "@hitl/verifier";
import { defineCommand } from "./lib/command.js";
import { type AutoClicker, attachAutoClicker } from "./lib/demo/auto-clicker.js";
import { delay, launchChromium, type RunningChromium } from "./lib/demo/chromium.js";
import { freePort } from "./lib/demo/free-port.js";
import { installDemoHost } from "./lib/demo/install-host.js";
import { reportAndExitCode } from "./lib/report.js";

const REPO = resolve(fileURLToPath(new URL("../../", import.meta.url)));
const BIN = join(REPO, "cli", "dist", "bin.cjs");
const EXTENSION_DIR = join(REPO, "extension", "dist", "chromium");
const ACTION = "delete /tmp/testfile";

export const command = defineCommand({
  name: "demo",
  usage: "[options]",
  description: `In the source checkout, 'pnpm demo [options]' builds first and then runs this (e.g.
'pnpm demo --auto-approve'). It builds nothing by itself. Starts Chromium with the hitl extension
in a fresh profile, pairs it with this terminal, and asks you to approve "${ACTION}"
(nothing is deleted). Everything lives in a temporary directory: your own browser profile and
~/.config/hitl are never touched.`,
  options: {
    "auto-approve": { type: "boolean", help: "click Pair and Approve automatically (playwright-core); needed without a display" },
    keep: { type: "boolean", help: "keep the temporary directory (profile, approvers file, host log) and print it" },
  },
  // Ctrl-C / SIGTERM: withdraw what is pending (the hitl child closes its window), then clean up.
  withdrawOnSignal: true,
  exits: { ok: "approved and verified", denied: "denied or interrupted", timeout: "timed out", error: "failed" },
  notes: `Environment: HITL_CHROMIUM (default /usr/bin/chromium). A display ($DISPLAY or
$WAYLAND_DISPLAY) gives a normal window; without one Chromium runs headless.`,
  run: ({ values, signal }) => demo(values["auto-approve"] === true, values.keep === true, signal),
});
export const run = command.run;

async function demo(auto: boolean, keep: boolean, interrupted: AbortSignal): Promise<number> {
  // Installed from the tarballs, the CLI has no checkout around it and no unpacked extension.
  if (!existsSync(join(REPO, "pnpm-workspace.yaml"))) {
    throw new HitlError(
      "ERR_USAGE",
      "hitl demo runs only in a source checkout (it loads the extension from extension/dist). With an installed hitl, load the packed extension in your browser, then run 'hitl setup' and 'hitl pair' (README: Use it for real).",
    );
  }
  const headed = nonEmpty(process.env.DISPLAY) || nonEmpty(process.env.WAYLAND_DISPLAY);
  if (!headed && !auto) {
    throw new HitlError(
      "ERR_USAGE",
      "No display ($DISPLAY and $WAYLAND_DISPLAY are unset), so there is no window for you to click Approve in. Run the demo in a desktop session, or run 'pnpm demo --auto-approve' to watch it pair and approve by itself in headless Chromium.",
    );
  }
  const chromiumPath = process.env.HITL_CHROMIUM ?? "/usr/bin/chromium";
  await requireFile(
    chromiumPath,
    constants.X_OK,
    "Install Chromium (Debian: apt-get install chromium) or set HITL_CHROMIUM to a Chromium or Chrome binary.",
  );
  await requireFile(join(EXTENSION_DIR, "manifest.json"), constants.R_OK, "Build it first: pnpm build (pnpm demo does that).");

  const root = await mkdtemp(join(tmpdir(), "hitl-demo-"));
  const dirs = { profile: join(root, "profile"), config: join(root, "config"), state: join(root, "state") };
  for (const dir of Object.values(dirs)) await makePrivateDirectory(dir);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, HITL_PORT: String(port), HITL_CONFIG_DIR: dirs.config, HITL_STATE_DIR: dirs.state };
  // The demo's replay store is the embedded one, inside the temporary directory.
  delete env.HITL_REDIS_URL;

  const interrupt = { signal: interrupted };
  let chromium: RunningChromium | undefined;
  let clicker: AutoClicker | undefined;
  let hostPid: number | undefined;
  let outcome: { code: number; note: string };
  try {
    say(`hitl demo — approve an AI agent's action in your browser\n`);
    say(`1/4  Registering the signing host for a fresh Chromium profile in ${root}`);
    await installDemoHost(dirs.profile, env);

    say(`2/4  Starting Chromium with the hitl extension (${headed ? "in a window" : "headless: no display found"}) on port ${port}`);
    chromium = launchChromium({
      executable: chromiumPath,
      userDataDir: dirs.profile,
      extensionDir: EXTENSION_DIR,
      headless: !headed,
      remoteDebugging: auto,
      env,
      logFile: join(root, "chromium.log"),
    });
    if (auto) clicker = await attachAutoClicker(await chromium.devtoolsPort());
    const health = await waitForExtension(port, env, join(dirs.state, "signing-host.log"), interrupt.signal);
    hostPid = health.hostPid;
    say(`     extension connected; its signing key: ${health.key}`);

    say(`3/4  Pairing this terminal with the browser: hitl pair`);
    if (!auto) {
      say("     Check that the code below matches the one in the browser window, then click Pair there;");
      say("     the window then shows a code of six letters: type it here.");
    }
    const paired = await runHitl(
      ["pair", "--port", String(port)],
      env,
      interrupt.signal,
      clicker && ((stop, type) => clicker!.pair(stop, type)),
    );
    if (interrupt.signal.aborted) {
      outcome = { code: 1, note: " The pairing request was withdrawn." };
    } else if (paired !== 0) {
      outcome = { code: paired, note: " Pairing did not complete, so there was nothing to approve with." };
    } else {
      say(`4/4  Asking for approval: hitl request --action "${ACTION}"   (nothing is deleted: this only asks)`);
      if (!auto) say("     In the Chromium window, read what will happen, then click Approve (or Deny).");
      const decided = await runHitl(
        ["request", "--action", ACTION, "--port", String(port)],
        env,
        interrupt.signal,
        clicker && ((stop) => clicker!.click("approval", "Approve", stop)),
      );
      outcome = { code: decided, note: interrupt.signal.aborted ? " The request was withdrawn." : "" };
    }
  } finally {
    await clicker?.close();
    await chromium?.stop();
    // The browser takes its native host down with it; make sure, by pid.
    if (hostPid !== undefined) killIfAlive(hostPid);
    if (keep) say(`\nKept ${root} (profile, approvers file, signing-host.log, chromium.log).`);
    else await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
  const meaning = interrupt.signal.aborted
    ? "interrupted"
    : (["approved and verified", "denied", "timed out", "failed"][outcome.code] ?? `exit ${outcome.code}`);
  say(
    `\nDemo finished: ${meaning} (exit code ${outcome.code}).${outcome.note} Chromium is closed${keep ? "" : " and the temporary files are gone"}.`,
  );
  return outcome.code;
}

/**
 * The real CLI, as a child with the demo's environment, its output straight to this terminal.
 * In its own process group, so an interrupt reaches it once: forwarded by us as SIGINT, which
 * withdraws its request. `alongside` (the auto-clicker) is cancelled when the child ends; it may
 * type into the child's stdin (the pairing window's code). Without it the child reads this
 * terminal, where the human types that code.
 */
async function runHitl(
  args: string[],
  env: NodeJS.ProcessEnv,
  interrupt: AbortSignal,
  alongside?: (stop: AbortSignal, type: (line: string) => void) => Promise<void>,
): Promise<number> {
  const stdin = alongside === undefined ? "inherit" : "pipe";
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: [stdin, "inherit", "inherit"], detached: true });
  // The child may end before it reads what the clicker typed; that is its exit code's business.
  child.stdin?.on("error", () => {});
  const type = (line: string): void => {
    child.stdin?.write(line);
  };
  const exited = new Promise<number>((resolveExit) => child.once("exit", (code) => resolveExit(code ?? 3)));
  const withdraw = (): void => {
    if (child.exitCode === null) child.kill("SIGINT");
  };
  if (interrupt.aborted) withdraw();
  interrupt.addEventListener("abort", withdraw, { once: true });
  const ended = new AbortController();
  const helper = alongside?.(ended.signal, type).catch((error: unknown) => {
    if (ended.signal.aborted) return;
    // The click failed: withdraw the request instead of letting it wait for its timeout.
    process.stderr.write(`hitl demo: ${error instanceof Error ? error.message : String(error)}\n`);
    withdraw();
  });
  const code = await exited;
  ended.abort();
  interrupt.removeEventListener("abort", withdraw);
  await helper;
  return code;
}

async function waitForExtension(
  port: number,
  env: NodeJS.ProcessEnv,
  hostLog: string,
  interrupt: AbortSignal,
): Promise<{ hostPid: number; key: string }> {
  const deadline = Date.now() + 30_000;
  let last = "the signing host did not start";
  while (Date.now() < deadline) {
    if (interrupt.aborted) throw new HitlError("ERR_WITHDRAWN", "Interrupted while Chromium was starting.");
    try {
      // The demo's config dir (its own host secret), not this process's environment.
      const health = await getHostHealth({ port, env, timeoutMs: 1000 });
      const { extension } = health;
      if (extension.connected) {
        const key =
          extension.kid === undefined
            ? "not created yet (the extension makes it when you pair)"
            : `key ${formatFingerprint(extension.kid)}`;
        return { hostPid: health.host.pid, key };
      }
      last = "the extension is not connected to the host yet";
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await delay(200);
  }
  throw new HitlError(
    "ERR_EXTENSION_NOT_CONNECTED",
    `Chromium started, but after 30 s ${last}. See ${hostLog} and chromium.log (run with --keep).`,
  );
}

async function requireFile(path: string, mode: number, remedy: string): Promise<void> {
  try {
    await access(path, mode);
  } catch {
    throw new HitlError("ERR_CONFIG", `${path} is missing or not usable. ${remedy}`);
  }
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Already gone, as expected.
  }
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value.length > 0;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

// Run when executed directly (node cli/dist/demo.js, what `pnpm demo` runs); `hitl demo` imports
// run() instead. An older pnpm passes `pnpm demo -- --keep` on with its `--`: not a word for us.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const argv = process.argv.slice(2);
  run(argv[0] === "--" ? argv.slice(1) : argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportAndExitCode(error);
    },
  );
}
