import { HitlError, LIMITS } from "@hitl/verifier";

/**
 * Run a strict node:util parseArgs call, turning its TypeError into ERR_USAGE with a pointer to
 * the command's --help. Unknown flags and stray words are errors, never ignored.
 */
export function withUsageErrors<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, " ").trim() : String(error);
    throw new HitlError("ERR_USAGE", `${detail.replace(/\.$/, "")}. Run 'hitl ${command} --help' for the options.`);
  }
}

/** A whole number of seconds in 1..LIMITS.maxLifetimeSeconds, or ERR_USAGE. */
export function parseSeconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const seconds = /^[0-9]{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > LIMITS.maxLifetimeSeconds) {
    throw new HitlError(
      "ERR_USAGE",
      `${flag} must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}, got ${JSON.stringify(value)}.`,
    );
  }
  return seconds;
}

/** Did the caller ask for --json? Known before parsing, so even a usage error is answered in JSON. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes("--json");
}
