import {
  addApprover,
  confirmPairingCode,
  HitlError,
  type KeyPolicy,
  LIMITS,
  type PairingAwaitingCode,
  type PairingRequest,
  type RequesterContext,
  readHostSecret,
  resolvePaths,
  verifyPairing,
} from "@hitl/verifier";
import { createPairingRequest } from "./create-pairing-request.js";
import { askHost, soleMember } from "./lib/ask-host.js";
import { failureOf, type PairingOutcome } from "./lib/outcome.js";
import { resolvePort } from "./lib/resolve-port.js";

/**
 * How many codes a person may type per pairing. Typos happen; an attacker who does not know the
 * code (a host that answered without the real window) guesses one of 64,000,000 per try, so three
 * tries give it at most 3 in 64 million, and the pairing then ends: a new `hitl pair` is a new
 * request with a new window code.
 */
export const MAX_PAIRING_CODE_ATTEMPTS = 3;

/** One prompt for the window's code. */
export interface PairingCodePrompt {
  request: PairingRequest;
  /** 1-based. */
  attempt: number;
  attempts: number;
  /** Why the previous attempt was refused (ERR_PAIRING_CODE_MISMATCH), from the second attempt on. */
  previous?: HitlError;
  /** Aborted when the pairing is withdrawn (Ctrl-C): stop reading. */
  signal: AbortSignal;
}

export interface PairApproverOptions {
  /**
   * Ask the human for the code the pairing window shows after the click on Pair; resolve with
   * what they typed, or undefined when there is no input (stdin closed): nothing is written then.
   */
  readCode: (prompt: PairingCodePrompt) => Promise<string | undefined>;
  /** Codes the human may type, 1 to MAX_PAIRING_CODE_ATTEMPTS (default). */
  codeAttempts?: number;
  /** The approver name to propose. Default: the OS user name. */
  subject?: string;
  aud?: string;
  timeoutSeconds?: number;
  requester?: RequesterContext;
  port?: number;
  /**
   * How the browser keeps the key it pairs: `persistent` (profile, across restarts) or `session`
   * (memory only, ends with the browser). Not part of the signed request. Default: persistent.
   */
  keyLifetime?: KeyPolicy;
  /** Default: the approvers file under HITL_CONFIG_DIR. */
  approversFile?: string;
  signal?: AbortSignal;
  /** Called with the request before it is sent: show `request.code` to the human now. */
  onRequest?: (request: PairingRequest) => void;
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
}

/**
 * Pair this machine with the browser's key: send a pairing request, check the answer's proof of
 * possession (pairing prefix, key id = thumbprint, digest of *our* request), ask the human for the
 * code the real pairing window showed and check it against the signed statement, and only then
 * add the approver to the approvers file (0600, atomic).
 */
export async function pairApprover(options: PairApproverOptions): Promise<PairingOutcome> {
  if (typeof options?.readCode !== "function") {
    const error = new HitlError(
      "ERR_USAGE",
      "pairApprover: options.readCode is required: it asks the human for the code the pairing window shows.",
    );
    return failureOf(error, "local");
  }
  const env = options.env ?? process.env;
  const clock = options.clock ?? Date.now;
  let request: PairingRequest;
  let port: number;
  let attempts: number;
  let secret: Buffer;
  try {
    attempts = normalizeAttempts(options.codeAttempts);
    port = options.port ?? resolvePort(undefined, env);
    // Before anything is sent: without it no answer could be trusted.
    secret = readHostSecret(resolvePaths(env).hostSecretFile);
    request = createPairingRequest({
      clock,
      ...(options.subject !== undefined && { subject: options.subject }),
      ...(options.aud !== undefined && { aud: options.aud }),
      ...(options.timeoutSeconds !== undefined && { ttlSeconds: options.timeoutSeconds }),
      ...(options.requester !== undefined && { requester: options.requester }),
    });
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return failureOf(error, "local");
  }

  options.onRequest?.(request);
  const answer = await askHost({
    port,
    secret,
    path: "/pair",
    body: { request, keyLifetime: options.keyLifetime ?? "persistent" },
    exp: request.exp,
    what: "pairing",
    maxResponseBytes: LIMITS.receiptBytes,
    clock,
    ...(options.signal !== undefined && { signal: options.signal }),
  });
  if (!answer.ok) return { ...failureOf(answer.error, answer.local ? "local" : "peer"), request };

  const approversFile = options.approversFile ?? resolvePaths(env).approversFile;
  try {
    const awaiting = await verifyPairing(soleMember(answer.body, "pairing"), request, clock);
    const approver = await confirmWithCode(awaiting, options.readCode, attempts, clock, options.signal);
    await addApprover(approversFile, approver);
    return { decision: "paired", request, approver, approversFile };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return { ...failureOf(error, "local"), request };
  }
}

/**
 * Ask for the window's code until it matches, the attempts run out, input ends, the pairing is
 * withdrawn, or the request expires (the window closes itself then, so waiting longer is useless).
 */
async function confirmWithCode(
  awaiting: PairingAwaitingCode,
  readCode: PairApproverOptions["readCode"],
  attempts: number,
  clock: () => number,
  signal: AbortSignal | undefined,
) {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(withdrawnError());
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted === true) onAbort();
  const deadline = setTimeout(
    () => stop.abort(new HitlError("ERR_EXPIRED", "The pairing request expired before its code was typed. Run `hitl pair` again.")),
    Math.max(0, awaiting.request.exp * 1000 - clock()),
  );
  try {
    let previous: HitlError | undefined;
    for (let attempt = 1; ; attempt++) {
      const prompt: PairingCodePrompt = { request: awaiting.request, attempt, attempts, signal: stop.signal };
      if (previous !== undefined) prompt.previous = previous;
      const typed = stop.signal.aborted ? undefined : await untilAborted(readCode(prompt), stop.signal);
      if (stop.signal.aborted) throw stop.signal.reason as HitlError;
      if (typed === undefined) {
        throw new HitlError(
          "ERR_PAIRING_CODE_MISSING",
          "No code was typed (the input ended). Type the code the pairing window shows after you click Pair; without it nothing is written. Run `hitl pair` again.",
        );
      }
      try {
        return confirmPairingCode(awaiting, typed, clock);
      } catch (error) {
        if (!(error instanceof HitlError) || error.code !== "ERR_PAIRING_CODE_MISMATCH" || attempt >= attempts) throw error;
        previous = error;
      }
    }
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onAbort);
  }
}

function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function withdrawnError(): HitlError {
  return new HitlError("ERR_WITHDRAWN", "The pairing was withdrawn before its code was confirmed; nothing was written.");
}

function normalizeAttempts(value: number | undefined): number {
  if (value === undefined) return MAX_PAIRING_CODE_ATTEMPTS;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_PAIRING_CODE_ATTEMPTS) {
    throw new HitlError("ERR_USAGE", `pairApprover: options.codeAttempts must be a whole number from 1 to ${MAX_PAIRING_CODE_ATTEMPTS}.`);
  }
  return value;
}
