import type { ErrorCode } from "@hitl/verifier/protocol";

/**
 * An expected way for a command to end: printed as one line (code + what to do), no stack, and
 * the process exits with `exitCode`. Anything else that escapes a command is an internal error.
 */
export class ExitError extends Error {
  constructor(
    readonly exitCode: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ExitError";
  }
}
