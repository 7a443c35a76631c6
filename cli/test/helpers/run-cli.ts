import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createHostSecret, resolvePaths } from "@hitl/verifier";
import { endStdin } from "./write-stdin.js";

/** The built command, exactly what `pnpm exec hitl` runs. */
export const BIN = resolve(fileURLToPath(new URL("../../dist/bin.cjs", import.meta.url)));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunningCli {
  child: ChildProcess;
  /** Resolves once stdout or stderr contains `text`. */
  waitForOutput(text: string): Promise<void>;
  done: Promise<CliRun>;
}

/**
 * Spawn `node cli/dist/bin.cjs ...args` with only the given HITL_* variables (never the real home).
 * stdin is /dev/null unless `stdin: "pipe"` (then write to `child.stdin`, e.g. the window's code).
 */
export function startCli(
  args: string[],
  env: Record<string, string>,
  options: { stdin?: "ignore" | "pipe"; cwd?: string } = {},
): RunningCli {
  return startCommand(process.execPath, [BIN, ...args], env, options);
}

/** Any command with the same isolated environment and captured output (e.g. script(1) around the CLI). */
export function startCommand(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { stdin?: "ignore" | "pipe"; cwd?: string } = { stdin: "pipe" },
): RunningCli {
  const started = performance.now();
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: env.HITL_CONFIG_DIR ?? tmpdir(), ...env },
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  // A child that exits before reading what a test typed: EPIPE is not the test's failure.
  child.stdin?.on("error", () => {});
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  const check = (): void => {
    for (const waiter of [...waiters]) {
      if (stdout.includes(waiter.text) || stderr.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
    check();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    check();
  });
  const done = new Promise<CliRun>((resolveRun, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolveRun({ code, signal, stdout, stderr, ms: performance.now() - started }));
  });
  return {
    child,
    done,
    waitForOutput: (text) =>
      new Promise<void>((resolveWait) => {
        waiters.push({ text, resolve: resolveWait });
        check();
      }),
  };
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return startCli(args, env).done;
}

/** Run the CLI with `input` on stdin (a pipe, closed after it): what `echo CODE | hitl pair` does. */
export function runCliWithInput(args: string[], env: Record<string, string>, input: string): Promise<CliRun> {
  const running = startCli(args, env, { stdin: "pipe" });
  endStdin(running.child.stdin, input);
  return running.done;
}

/**
 * Fresh HITL_CONFIG_DIR / HITL_STATE_DIR under the OS temp dir, with the host secret created the
 * way `hitl setup` creates it (createHostSecret); `cleanup` removes them.
 */
export async function isolatedDirs(): Promise<{
  root: string;
  env: Record<string, string>;
  /** The host secret file in the config dir; peer and real hosts prove their answers with it. */
  secretFile: string;
  cleanup(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), "hitl-cli-test-"));
  const env = { HITL_CONFIG_DIR: join(root, "config"), HITL_STATE_DIR: join(root, "state") };
  const secretFile = resolvePaths(env).hostSecretFile;
  await createHostSecret(secretFile);
  return { root, env, secretFile, cleanup: () => rm(root, { recursive: true, force: true }) };
}
