import { HitlError } from "@hitl/verifier/protocol";
import { ExitError } from "./exit-error.js";

/** Turn what a command threw into one line on stderr and an exit code. */
export function reportAndExitCode(error: unknown): number {
  if (error instanceof ExitError) {
    process.stderr.write(`hitl: ${error.code}: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof HitlError) {
    process.stderr.write(`hitl: ${error.code}: ${error.message}\n`);
    return 3;
  }
  process.stderr.write(
    `hitl: ERR_INTERNAL: ${error instanceof Error ? error.message : String(error)}\nThis is a bug in hitl; please report it with the command you ran.\n`,
  );
  return 3;
}
