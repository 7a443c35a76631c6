import { parseArgs } from "node:util";
import { resolvePort } from "@hitl/sdk";
import { DEFAULT_AUDIENCE, HitlError, LIMITS } from "@hitl/verifier";

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

/** The flags of every command that asks the human (request, pair). */
const ASKING_OPTIONS = {
  aud: { type: "string" },
  timeout: { type: "string" },
  port: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

type Options = Record<string, { type: "string" | "boolean" }>;
/** What parseArgs gives for single-valued flags: a string or boolean when the flag was given. */
type FlagValues<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string };
type SharedValues = FlagValues<typeof ASKING_OPTIONS>;

export interface AskingArgs {
  help: boolean;
  json: boolean;
  aud: string;
  timeoutSeconds: number;
  port: number;
}

/**
 * Strict parse of an asking command's flags: its own (checked first, by `own`, whose result is
 * merged in) and the shared --aud, --timeout, --port, --json, --help. With --help nothing else
 * is checked and `own` is not called.
 */
export function parseAskingArgs<const O extends Options, R extends object>(
  command: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  spec: { options: O; defaultTimeoutSeconds: number; own(values: FlagValues<O>): R },
): (AskingArgs & { help: true }) | (AskingArgs & { help: false } & R) {
  const { values } = withUsageErrors(command, () =>
    parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...spec.options, ...ASKING_OPTIONS } }),
  );
  const typed = values as FlagValues<O> & SharedValues;
  const json = typed.json === true;
  if (typed.help === true) return { help: true, json, aud: DEFAULT_AUDIENCE, timeoutSeconds: spec.defaultTimeoutSeconds, port: 0 };
  const own = spec.own(typed);
  if (typed.aud !== undefined && typed.aud.length === 0) throw new HitlError("ERR_USAGE", "--aud must not be empty.");
  return {
    ...own,
    help: false,
    json,
    aud: typed.aud ?? DEFAULT_AUDIENCE,
    timeoutSeconds: parseSeconds("--timeout", typed.timeout, spec.defaultTimeoutSeconds),
    port: resolvePort(typed.port, env),
  };
}
