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
