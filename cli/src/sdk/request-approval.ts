import {
  type Action,
  type ApproverKey,
  type Challenge,
  challengeDigest,
  HitlError,
  type JsonValue,
  type KeyDirectory,
  LIMITS,
  type NonceStore,
  parseReceipt,
  type RequesterContext,
  resolvePaths,
  verifyReceipt,
} from "@hitl/verifier";
import { createChallenge } from "./create-challenge.js";
import { getHostHealth } from "./get-host-health.js";
import { askHost, soleMember } from "./lib/ask-host.js";
import { openDefaultNonceStore, openLocalKeys } from "./lib/open-stores.js";
import { type ApprovalOutcome, failureOf } from "./lib/outcome.js";
import { resolvePort } from "./lib/resolve-port.js";

export interface RequestApprovalOptions {
  action: Action;
  /** Audience: who verifies. Default "hitl-cli". */
  aud?: string;
  /** Seconds the human has to decide. Default 120. */
  timeoutSeconds?: number;
  /** The structured call this approval binds to. Default: the action. */
  intent?: JsonValue;
  requester?: RequesterContext;
  /** Signing host port. Default HITL_PORT, then 7331. */
  port?: number;
  /** Aborting withdraws the request: the host closes the approval window, nothing is signed. */
  signal?: AbortSignal;
  /** Default: LocalKeyDirectory over the approvers file. */
  keys?: KeyDirectory;
  /** Default: Redis when HITL_REDIS_URL is set, else the embedded store. Ours are closed after use. */
  nonces?: NonceStore;
  /** Called once the challenge is on its way (e.g. to start a countdown). */
  onSent?: (challenge: Challenge) => void;
  /**
   * The browser side went away after the challenge was delivered ("lost": hitl re-sends the
   * same challenge until it expires), or a re-sent copy is held by a reconnected host ("restored").
   */
  onLinkChange?: (state: "lost" | "restored", challenge: Challenge) => void;
  /** Source of HITL_PORT, HITL_REDIS_URL, HITL_CONFIG_DIR, HITL_STATE_DIR. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
}

/**
 * Ask the human, wait for the decision, verify it. Resolves with an outcome for every expected
 * ending (approve, signed deny, timeout, error); only a bug in hitl rejects. An approval is
 * returned only after the signature, the challenge, audience, time window, intent and the
 * single use of the nonce were all checked.
 */
export async function requestApproval(options: RequestApprovalOptions): Promise<ApprovalOutcome> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? Date.now;
  let challenge: Challenge;
  let keys: KeyDirectory;
  let nonces: NonceStore;
  let port: number;
  try {
    port = options.port ?? resolvePort(undefined, env);
    challenge = createChallenge({
      action: options.action,
      clock,
      ...(options.aud !== undefined && { aud: options.aud }),
      ...(options.timeoutSeconds !== undefined && { ttlSeconds: options.timeoutSeconds }),
      ...(options.intent !== undefined && { intent: options.intent }),
      ...(options.requester !== undefined && { requester: options.requester }),
    });
    keys = options.keys ?? (await openKeysOrExplain(resolvePaths(env).approversFile, port));
    nonces = options.nonces ?? (await openDefaultNonceStore(env));
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return failureOf(error, "local");
  }

  try {
    return await askAndVerify(challenge, port, keys, nonces, options, clock);
  } finally {
    if (options.nonces === undefined) await nonces.close().catch(() => undefined);
  }
}

/**
 * Nobody paired yet is also what a first run looks like before the browser is set up; pairing
 * needs the host too, so when the host is not reachable either, say that first.
 */
async function openKeysOrExplain(approversFile: string, port: number): Promise<KeyDirectory> {
  try {
    return await openLocalKeys(approversFile);
  } catch (error) {
    if (error instanceof HitlError && error.code === "ERR_NOT_PAIRED") await getHostHealth({ port, timeoutMs: 1000 });
    throw error;
  }
}

async function askAndVerify(
  challenge: Challenge,
  port: number,
  keys: KeyDirectory,
  nonces: NonceStore,
  options: RequestApprovalOptions,
  clock: () => number,
): Promise<ApprovalOutcome> {
  const answer = await askHost({
    port,
    path: "/sign",
    body: { challenge },
    exp: challenge.exp,
    what: "approval",
    maxResponseBytes: LIMITS.receiptBytes + 1024,
    clock,
    // The extension finds a re-sent challenge again by its digest (open window or kept receipt),
    // and the receipt is still checked against this very challenge below.
    resend: true,
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(options.onSent !== undefined && { onSent: () => options.onSent?.(challenge) }),
    ...(options.onLinkChange !== undefined && { onLinkChange: (state) => options.onLinkChange?.(state, challenge) }),
  });
  if (!answer.ok) return { ...failureOf(answer.error, answer.local ? "local" : "peer"), challenge };

  const receipt = soleMember(answer.body, "receipt");
  try {
    const verified = await verifyReceipt(receipt, { aud: challenge.aud, challenge, intent: challenge.intent }, { keys, nonces, clock });
    return { decision: "approve", challenge, approver: verified.approver, receipt: verified.receipt };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    if (error.code === "ERR_DENIED") return signedDenial(receipt, challenge, keys, error);
    return { ...failureOf(error, "local"), challenge };
  }
}

/**
 * The verifier reports a valid denial before it compares the receipt with the challenge we
 * made (a denial needs no audience or nonce check), so make sure it denies *this* request.
 */
async function signedDenial(receiptValue: unknown, challenge: Challenge, keys: KeyDirectory, denial: HitlError): Promise<ApprovalOutcome> {
  const receipt = parseReceipt(receiptValue);
  const expected = challengeDigest(challenge);
  if (
    receipt.statement.decision !== "deny" ||
    challengeDigest(receipt.challenge) !== expected ||
    receipt.statement.challenge !== expected
  ) {
    return {
      decision: "error",
      code: "ERR_CHALLENGE_MISMATCH",
      message: "The signing host returned a denial for a different request than the one sent; treating it as an error. Run 'hitl doctor'.",
      challenge,
    };
  }
  const approver: ApproverKey | undefined = await keys.lookup(receipt.statement.sub, receipt.kid);
  if (approver === undefined) throw new HitlError("ERR_INTERNAL", "The key that signed a verified denial vanished from the key directory.");
  return { decision: "deny", code: "ERR_DENIED", message: denial.message, challenge, approver, receipt };
}
