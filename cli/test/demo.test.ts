import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CliRun, isolatedDirs } from "./helpers/run-cli.js";

/*
 * The newcomer's command, for real: node cli/dist/demo.js with real Chromium (/usr/bin/chromium),
 * the built extension, the real native host. Without a display it must refuse unless told to
 * click by itself.
 */

const DEMO = resolve(fileURLToPath(new URL("../dist/demo.js", import.meta.url)));

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
beforeEach(async () => {
  dirs = await isolatedDirs();
});
afterEach(async () => {
  await dirs.cleanup();
});

function runDemo(args: string[], onOutput?: (stdout: string, child: ReturnType<typeof spawn>) => void): Promise<CliRun> {
  const started = performance.now();
  // No DISPLAY / WAYLAND_DISPLAY; the demo's temporary directory goes under this test's own dir.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dirs.root, TMPDIR: dirs.root };
  const child = spawn(process.execPath, [DEMO, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    onOutput?.(stdout, child);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolveRun, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolveRun({ code, signal, stdout, stderr, ms: performance.now() - started }));
  });
}

/**
 * Live processes whose command line or environment mentions `text` (from /proc): Chromium has
 * the profile in its arguments, the native host has the demo's HITL_CONFIG_DIR in its environment.
 */
async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(join("/proc", entry, "cmdline"), "utf8").catch(() => "");
    const environ = await readFile(join("/proc", entry, "environ"), "utf8").catch(() => "");
    const state = await readFile(join("/proc", entry, "stat"), "utf8").catch(() => "");
    const zombie = / Z /.test(state);
    if (!zombie && (cmdline.includes(text) || environ.includes(text))) found.push(Number(entry));
  }
  return found;
}

describe("pnpm demo (node cli/dist/demo.js)", () => {
  it("without a display and without --auto-approve, says why and how, and exits 3", async () => {
    const run = await runDemo([]);
    expect(run.code).toBe(3);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "hitl: ERR_USAGE: No display ($DISPLAY and $WAYLAND_DISPLAY are unset), so there is no window for you to click Approve in. Run the demo in a desktop session, or run 'pnpm demo --auto-approve' to watch it pair and approve by itself in headless Chromium.\n",
    );
  });

  it("--auto-approve pairs and approves in headless Chromium, then leaves nothing behind", { timeout: 90_000 }, async () => {
    const run = await runDemo(["--auto-approve"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Pairing code: \d{3}-\d{3} — check that your browser shows the same code, then click Pair there\n/);
    // The clicker read the code from the window after Pair and typed it into `hitl pair`'s stdin.
    expect(run.stdout).toMatch(
      /\(auto-approve: clicked Pair in the pairing window, typing the code it shows: [BCDFGHJKLMNPQRSTVWXZ]{3}-[BCDFGHJKLMNPQRSTVWXZ]{3}\)\n/,
    );
    expect(run.stdout).toContain(
      "Type the code the pairing window now shows (six letters, like KPT-WRM; no window showed one? Ctrl-C, do not guess): \n",
    );
    expect(run.stdout).toMatch(/PAIRED — \S+ \(key [0-9a-f ]{19}\)\n/);
    expect(run.stdout).toMatch(/APPROVED — signature verified\nUser: \S+ \(key [0-9a-f ]{19}\)\nChallenge: [A-Za-z0-9_-]{12}…\n/);
    expect(run.stdout).toContain("Demo finished: approved and verified (exit code 0).");
    const root = /fresh Chromium profile in (\S+)/.exec(run.stdout)?.[1];
    expect(root?.startsWith(dirs.root)).toBe(true);
    expect(existsSync(root!)).toBe(false);
    // Chromium and the native host it started are gone (stopped by pid).
    expect(await processesMentioning(root!)).toEqual([]);
  });

  it("--keep keeps the profile, the approvers file and the logs", { timeout: 90_000 }, async () => {
    const run = await runDemo(["--auto-approve", "--keep"]);
    expect(run.code).toBe(0);
    const root = /Kept (\S+) \(profile/.exec(run.stdout)?.[1];
    expect(root).toBeDefined();
    const approvers = JSON.parse(await readFile(join(root!, "config", "approvers.json"), "utf8")) as { approvers: unknown[] };
    expect(approvers.approvers).toHaveLength(1);
    expect(existsSync(join(root!, "state", "signing-host.log"))).toBe(true);
    expect(await processesMentioning(root!)).toEqual([]);
  });

  it("SIGTERM while Chromium starts: stops, withdraws, cleans up, leaves nothing running", { timeout: 90_000 }, async () => {
    let sent = false;
    const run = await runDemo(["--auto-approve"], (stdout, child) => {
      if (!sent && stdout.includes("2/4")) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    expect(sent).toBe(true);
    expect(run.code === 1 || run.code === 3).toBe(true);
    expect(run.stdout).not.toContain("APPROVED");
    const root = /fresh Chromium profile in (\S+)/.exec(run.stdout)?.[1];
    expect(existsSync(root!)).toBe(false);
    expect(await processesMentioning(root!)).toEqual([]);
  });
});
