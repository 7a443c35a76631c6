import { EXIT, reportFailure } from "./command.js";

/** Turn what escaped a command into one line on stderr and an exit code (bin.cts's last resort). */
export function reportAndExitCode(error: unknown): number {
  try {
    return reportFailure(error, undefined);
  } catch {
    process.stderr.write(
      `hitl: ERR_INTERNAL: ${error instanceof Error ? error.message : String(error)}\nThis is a bug in hitl; please report it with the command you ran.\n`,
    );
    return EXIT.error;
  }
}
