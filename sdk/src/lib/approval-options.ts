import { type KeyDirectory, LIMITS, type NonceStore, type RequesterContext } from "@hitl/verifier";
import { hasVisibleCharacter, utf8Length } from "@hitl/verifier/protocol";
import { ApprovalUnavailable } from "../approval-errors.js";

/** Options of withApproval and @requireHumanApproval. */
export interface GuardOptions {
  /**
   * The call's name: bound into the intent and shown in the window. Default: the function's own
   * name (withApproval; required for an anonymous function) or `Class.method` (the decorator).
   */
  name?: string;
  /** Audience: who verifies the receipt. Default "hitl-cli". */
  aud?: string;
  /** Seconds the human has to decide. Default 120, at most 3600. */
  timeoutSeconds?: number;
  /** Signing host port. Default HITL_PORT, then 7331. */
  port?: number;
  /** Who may approve. Default: the approvers file (LocalKeyDirectory). */
  keys?: KeyDirectory;
  /** Replay store. Default: Redis when HITL_REDIS_URL is set, else the embedded store. */
  nonces?: NonceStore;
  /** Aborting withdraws every pending request of this guard (ApprovalDenied, ERR_WITHDRAWN). */
  signal?: AbortSignal;
  /** Shown as who asks. Default: tool "hitl-sdk", this host, pid and working directory. */
  requester?: RequesterContext;
  /** Source of HITL_PORT, HITL_REDIS_URL, HITL_CONFIG_DIR, HITL_STATE_DIR. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

const KNOWN = new Set(["name", "aud", "timeoutSeconds", "port", "keys", "nonces", "signal", "requester", "env"]);
const MAX_NAME_BYTES = 256;

/**
 * Checked once, when the guard is made, so a mistake shows at start-up rather than at the first
 * sensitive call. Unknown keys are refused: a misspelt `timeout` must not silently mean 120 s.
 */
export function normalizeGuardOptions(options: unknown): GuardOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null || Array.isArray(options)) usage("the options must be an object");
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) if (!KNOWN.has(key)) usage(`unknown option "${key}" (known: ${[...KNOWN].join(", ")})`);
  const out: GuardOptions = {};
  const { name, aud, timeoutSeconds, port, keys, nonces, signal, requester, env } = given;
  if (name !== undefined) out.name = checkName(name, "options.name");
  if (aud !== undefined) {
    if (typeof aud !== "string" || aud.length === 0 || utf8Length(aud) > LIMITS.audienceBytes) {
      usage(`options.aud must be a non-empty string of at most ${LIMITS.audienceBytes} bytes`);
    }
    out.aud = aud;
  }
  if (timeoutSeconds !== undefined) {
    if (
      typeof timeoutSeconds !== "number" ||
      !Number.isSafeInteger(timeoutSeconds) ||
      timeoutSeconds < 1 ||
      timeoutSeconds > LIMITS.maxLifetimeSeconds
    ) {
      usage(`options.timeoutSeconds must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}`);
    }
    out.timeoutSeconds = timeoutSeconds;
  }
  if (port !== undefined) {
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
      usage("options.port must be a port number from 1 to 65535");
    out.port = port;
  }
  if (keys !== undefined) {
    if (typeof (keys as KeyDirectory | null)?.lookup !== "function") usage("options.keys must be a KeyDirectory (with lookup)");
    out.keys = keys as KeyDirectory;
  }
  if (nonces !== undefined) {
    if (typeof (nonces as NonceStore | null)?.consume !== "function") usage("options.nonces must be a NonceStore (with consume)");
    out.nonces = nonces as NonceStore;
  }
  if (signal !== undefined) {
    if (!(signal instanceof AbortSignal)) usage("options.signal must be an AbortSignal");
    out.signal = signal;
  }
  if (requester !== undefined) {
    if (typeof requester !== "object" || requester === null) usage("options.requester must be an object");
    out.requester = requester as RequesterContext;
  }
  if (env !== undefined) {
    if (typeof env !== "object" || env === null) usage("options.env must be an object");
    out.env = env as NodeJS.ProcessEnv;
  }
  return out;
}

export function checkName(name: unknown, what: string): string {
  if (typeof name !== "string" || !hasVisibleCharacter(name) || utf8Length(name) > MAX_NAME_BYTES) {
    usage(`${what} must be a string with a visible character, at most ${MAX_NAME_BYTES} bytes`);
  }
  return name;
}

export function usage(problem: string): never {
  throw new ApprovalUnavailable("ERR_USAGE", `Cannot guard this function: ${problem}.`);
}
