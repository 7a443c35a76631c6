import { DEFAULT_PORT, HitlError } from "@hitl/verifier";

/**
 * The signing host's port: an explicit option wins, then HITL_PORT (the host reads the same
 * variable, inherited from the browser's environment), then 7331. Anything that is not a whole
 * number in 1..65535 is refused rather than silently replaced by the default.
 */
export function resolvePort(explicit: number | string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  if (explicit !== undefined) return parsePort(explicit, "--port", "ERR_USAGE");
  const fromEnv = env.HITL_PORT;
  if (fromEnv !== undefined && fromEnv.length > 0) return parsePort(fromEnv, "HITL_PORT", "ERR_CONFIG");
  return DEFAULT_PORT;
}

function parsePort(value: number | string, source: string, code: "ERR_USAGE" | "ERR_CONFIG"): number {
  const port = typeof value === "number" ? value : /^[0-9]{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new HitlError(code, `${source} must be a port number between 1 and 65535, got ${JSON.stringify(String(value))}.`);
  }
  return port;
}
