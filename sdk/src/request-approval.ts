import {
  type Action,
  type Challenge,
  HitlError,
  type JsonValue,
  type KeyDirectory,
  LIMITS,
  type NonceStore,
  type RequesterContext,
  readHostSecret,
  resolvePaths,
} from "@hitl/verifier";
import { createChallenge } from "./create-challenge.js";
import { getHostHealth } from "./get-host-health.js";
import { precheckApprovers } from "./lib/approvers-precheck.js";
import { askHost, soleMember } from "./lib/ask-host.js";
import type { EarlySign } from "./lib/early-sign.js";
import { notPaired } from "./lib/not-paired.js";
import { openDefaultNonceStore } from "./lib/open-stores.js";
import { type ApprovalOutcome, failureOf } from "./lib/outcome.js";
import { resolvePort } from "./lib/resolve-port.js";
import type { TeamVerifier } from "./lib/team/verify-remote.js";
import type { VerificationStores } from "./lib/verify-answer.js";

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
  /**
   * A POST /sign already opened with its headers only (`hitl request` opens it while it starts,
   * so the window is built meanwhile); the challenge is sent on it when it is for `port`.
   */
  earlySign?: EarlySign;
}

/**
 * Ask the human, wait for the decision, verify it. Resolves with an outcome for every expected
 * ending (approve, signed deny, timeout, error); only a bug in hitl rejects. An approval is
 * returned only after the signature, the challenge, audience, time window, intent and the
 * single use of the nonce were all checked.
 *
 * Fail before asking, cheaply: a challenge goes out only if this machine can verify the answer.
 * The replay store is opened and probed first (its ready(): a directory that takes no file, a
 * Redis that does not answer), so nobody is asked for an approval that could not be recorded.
 * When the approvers file plainly lists someone, the verifier is loaded and the file checked in
 * full while the human reads the window (a failure then withdraws the request); otherwise all of
 * that happens first.
 */
export async function requestApproval(options: RequestApprovalOptions): Promise<ApprovalOutcome> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? Date.now;
  let challenge: Challenge;
  let port: number;
  let approversFile: string;
  let secret: Buffer;
  let early: VerificationStores | undefined;
  let nonces: NonceStore | undefined;
  const ownNonces = options.nonces === undefined;
  try {
    try {
      port = options.port ?? resolvePort(undefined, env);
      // Before anything is sent: without it no answer could be trusted.
      secret = readHostSecret(resolvePaths(env).hostSecretFile);
      challenge = createChallenge({
        action: options.action,
        clock,
        ...(options.aud !== undefined && { aud: options.aud }),
        ...(options.timeoutSeconds !== undefined && { ttlSeconds: options.timeoutSeconds }),
        ...(options.intent !== undefined && { intent: options.intent }),
        ...(options.requester !== undefined && { requester: options.requester }),
      });
      approversFile = resolvePaths(env).approversFile;
      // Team mode (HITL_CONFIG_DIR/team.json): the hitl server verifies; the approvers file is not
      // consulted, so a key an agent appends to it gains nothing. Ready before anything is sent.
      if (options.keys === undefined && options.nonces === undefined) {
        const { readTeamConfig } = await import("./lib/team/team-config.js");
        const team = readTeamConfig(resolvePaths(env).configDir);
        if (team !== undefined) {
          const { openTeamVerifier } = await import("./lib/team/verify-remote.js");
          const verifier = await openTeamVerifier(team, resolvePaths(env).configDir);
          return await askAndVerify(challenge, port, secret, options, clock, async () => ({ remote: verifier }));
        }
      }
      const keysLookUsable = options.keys !== undefined || (await lookAtApprovers(approversFile, port, secret)) === "usable";
      nonces = options.nonces ?? (await openDefaultNonceStore(env));
      await nonces.ready?.();
      if (!keysLookUsable) early = await openStoresOrExplain(approversFile, { keys: options.keys, nonces }, port, secret);
    } catch (error) {
      if (!(error instanceof HitlError)) throw error;
      return failureOf(error, "local");
    }

    const given = { keys: options.keys, nonces };
    let stores: Promise<VerificationStores> | undefined = early === undefined ? undefined : Promise.resolve(early);
    return await askAndVerify(challenge, port, secret, options, clock, () => {
      stores ??= openStores(approversFile, given);
      return stores;
    });
  } finally {
    if (ownNonces) await nonces?.close().catch(() => undefined);
  }
}

/** "none" is reported at once, but a missing host first: pairing needs the host too. */
async function lookAtApprovers(approversFile: string, port: number, secret: Uint8Array): Promise<"usable" | "unclear"> {
  const look = precheckApprovers(approversFile);
  if (look !== "none") return look;
  await getHostHealth({ port, secret, timeoutMs: 1000 });
  throw notPaired(approversFile);
}

type GivenStores = { keys?: KeyDirectory | undefined; nonces: NonceStore };

async function openStores(approversFile: string, given: GivenStores): Promise<VerificationStores> {
  const verification = await import("./lib/verify-answer.js");
  return verification.openStores(approversFile, given);
}

/** Before asking: the same rule for an approvers file that lists nobody, host problems first. */
async function openStoresOrExplain(
  approversFile: string,
  given: GivenStores,
  port: number,
  secret: Uint8Array,
): Promise<VerificationStores> {
  try {
    return await openStores(approversFile, given);
  } catch (error) {
    if (error instanceof HitlError && error.code === "ERR_NOT_PAIRED") await getHostHealth({ port, secret, timeoutMs: 1000 });
    throw error;
  }
}

async function askAndVerify(
  challenge: Challenge,
  port: number,
  secret: Uint8Array,
  options: RequestApprovalOptions,
  clock: () => number,
  prepare: () => Promise<VerificationStores | { remote: TeamVerifier }>,
): Promise<ApprovalOutcome> {
  // Our own abort, besides the caller's: a verifier that cannot be prepared withdraws the request.
  const stop = new AbortController();
  const forwardAbort = (): void => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener("abort", forwardAbort, { once: true });
  let unprepared: HitlError | undefined;
  try {
    const answer = await askHost({
      port,
      secret,
      path: "/sign",
      body: { challenge },
      exp: challenge.exp,
      what: "approval",
      maxResponseBytes: LIMITS.receiptBytes + 1024,
      hostLogFile: resolvePaths(options.env ?? process.env).hostLogFile,
      ...(options.earlySign !== undefined && { earlySign: options.earlySign }),
      clock,
      signal: stop.signal,
      // The extension finds a re-sent challenge again by its digest (open window or kept receipt),
      // and the receipt is still checked against this very challenge below.
      resend: true,
      // Load and open the verifier once the challenge is out, while the human reads the window.
      onDelivered: () => {
        prepare().catch((error: unknown) => {
          unprepared =
            error instanceof HitlError ? error : new HitlError("ERR_INTERNAL", `Preparing the verifier failed: ${String(error)}`);
          stop.abort();
        });
      },
      ...(options.onSent !== undefined && { onSent: () => options.onSent?.(challenge) }),
      ...(options.onLinkChange !== undefined && { onLinkChange: (state) => options.onLinkChange?.(state, challenge) }),
    });
    if (unprepared !== undefined) return { ...failureOf(unprepared, "local"), challenge };
    if (!answer.ok) return { ...failureOf(answer.error, answer.local ? "local" : "peer"), challenge };
    let stores: VerificationStores | { remote: TeamVerifier };
    try {
      stores = await prepare();
    } catch (error) {
      if (!(error instanceof HitlError)) throw error;
      return { ...failureOf(error, "local"), challenge };
    }
    if ("remote" in stores) return await stores.remote.verify(soleMember(answer.body, "receipt"), challenge);
    const { verifyAnswer } = await import("./lib/verify-answer.js");
    return await verifyAnswer(soleMember(answer.body, "receipt"), challenge, stores, clock);
  } finally {
    options.signal?.removeEventListener("abort", forwardAbort);
  }
}
