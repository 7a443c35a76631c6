import { resolvePort } from "@hitl/sdk";
import { DEFAULT_AUDIENCE, HitlError, LIMITS } from "@hitl/verifier";
import type { FlagSpec } from "./command.js";

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

/** --port, the same in every command that talks to the signing host. */
export const PORT_FLAG = {
  type: "string",
  value: "N",
  help: "signing host port (default: HITL_PORT, then 7331)",
} as const satisfies FlagSpec;

/** --aud, --timeout and --port: the flags of every command that asks the human (request, pair, mcp). */
export function askingFlags(defaultTimeoutSeconds: number, timeoutHelp = "how long the human has to decide") {
  return {
    aud: { type: "string", value: "AUD", help: `audience the approval is for (default "${DEFAULT_AUDIENCE}")` },
    timeout: {
      type: "string",
      value: "SECONDS",
      help: `${timeoutHelp} (default ${defaultTimeoutSeconds}, at most ${LIMITS.maxLifetimeSeconds})`,
    },
    port: PORT_FLAG,
  } as const satisfies Record<string, FlagSpec>;
}

export interface AskingArgs {
  aud: string;
  timeoutSeconds: number;
  port: number;
}

/** The checked values of askingFlags; ERR_USAGE (or ERR_CONFIG for HITL_PORT) with what to change. */
export function askingArgs(
  values: { aud?: string; timeout?: string; port?: string },
  defaultTimeoutSeconds: number,
  env: NodeJS.ProcessEnv,
): AskingArgs {
  if (values.aud !== undefined && values.aud.length === 0) throw new HitlError("ERR_USAGE", "--aud must not be empty.");
  return {
    aud: values.aud ?? DEFAULT_AUDIENCE,
    timeoutSeconds: parseSeconds("--timeout", values.timeout, defaultTimeoutSeconds),
    port: resolvePort(values.port, env),
  };
}
