import { spawn } from "node:child_process";
import { CLI_BIN } from "./paths.js";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** performance.now() when the process exited. */
  endedAt: number;
}

export interface CliRun {
  pid: number;
  /** performance.now() just before spawning. */
  startedAt: number;
  done: Promise<CliResult>;
  /** Send a signal by pid (SIGINT = Ctrl-C); no-op once exited. */
  signal(signal: NodeJS.Signals): void;
  /** stdout + stderr so far, while it runs. */
  output(): string;
  /** Type into the CLI's stdin (only with `stdin: "pipe"`), e.g. the pairing window's code and a newline. */
  type(text: string): void;
  /** Close the CLI's stdin (only with `stdin: "pipe"`): end of input. */
  endInput(): void;
}

export interface RunHitlOptions {
  /** "ignore" (default): stdin is /dev/null. "pipe": the test types into it (`hitl pair` reads the window's code). */
  stdin?: "ignore" | "pipe";
}

/** Run the built `hitl` CLI (node cli/dist/bin.cjs) as a child process, output captured. */
export function runHitl(args: readonly string[], env: NodeJS.ProcessEnv, options: RunHitlOptions = {}): CliRun {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: [options.stdin ?? "ignore", "pipe", "pipe"] });
  if (child.pid === undefined || child.stdout === null || child.stderr === null) throw new Error("Could not start the hitl CLI.");
  // A child that exits before reading what was typed: EPIPE on its stdin is not the test's failure.
  child.stdin?.on("error", () => {});
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let exited = false;
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      exited = true;
      resolve({ code, signal, stdout, stderr, endedAt: performance.now() });
    });
  });
  const pid = child.pid;
  return {
    pid,
    startedAt,
    done,
    output: () => stdout + stderr,
    type(text) {
      if (child.stdin === null) throw new Error('This hitl run has no stdin pipe; start it with { stdin: "pipe" }.');
      child.stdin.write(text);
    },
    endInput() {
      if (child.stdin === null) throw new Error('This hitl run has no stdin pipe; start it with { stdin: "pipe" }.');
      child.stdin.end();
    },
    signal(signal) {
      if (exited) return;
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
  };
}
