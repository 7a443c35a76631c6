import { spawn } from "node:child_process";
import type { Writable } from "node:stream";

/**
 * Write `input` to a child's stdin and close it. A child that exits before reading (a usage error,
 * a program that is gone) makes that write fail with EPIPE: expected, since the exit code and
 * output are what a test judges. Any other stdin error is not.
 */
export function endStdin(stdin: Writable | null | undefined, input?: string): void {
  if (stdin === null || stdin === undefined) throw new Error("The child has no stdin pipe.");
  stdin.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  stdin.end(input);
}

/**
 * Runs `command` through /bin/sh, the way agents run an installed hook command line, with
 * `stdin` as its input; resolves with its exit code and output once it closes.
 */
export function runThroughShell(
  command: string,
  stdin: string,
  options: { env: Record<string, string>; cwd?: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn("/bin/sh", ["-c", command], { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  // A command line whose program is gone exits before reading its input (see endStdin).
  endStdin(child.stdin, stdin);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
