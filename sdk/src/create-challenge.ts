import { randomBytes, randomUUID } from "node:crypto";
import {
  type Action,
  type Challenge,
  DEFAULT_AUDIENCE,
  encodeBase64url,
  HitlError,
  intentDigest,
  type JsonValue,
  LIMITS,
  PROTOCOL_VERSION,
  type RequesterContext,
} from "@hitl/verifier";
import { parseChallenge } from "@hitl/verifier/protocol";
import { defaultRequester, toSeconds } from "./lib/requester.js";

export interface CreateChallengeOptions {
  /** What the human reads in the approval window, exactly as it will be signed. */
  action: Action;
  /** Who will verify the receipt. Default "hitl-cli". */
  aud?: string;
  /** Seconds the human has to decide. Default 120, at most LIMITS.maxLifetimeSeconds. */
  ttlSeconds?: number;
  /** The structured call the approval binds to. Default: the action itself. */
  intent?: JsonValue;
  /** Default: this process (tool "hitl-cli", host name, pid, working directory). */
  requester?: RequesterContext;
  /** Milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
}

export const DEFAULT_TTL_SECONDS = 120;

/**
 * A fresh challenge: UUID v4 id, 32 CSPRNG bytes of nonce, integer-second window, intent digest.
 * It goes through the same strict parser every receiver uses, so a challenge the host or the
 * extension would refuse is refused here first, with the same message.
 */
export function createChallenge(options: CreateChallengeOptions): Challenge {
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > LIMITS.maxLifetimeSeconds) {
    throw new HitlError(
      "ERR_USAGE",
      `The approval timeout must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}, got ${String(ttl)}.`,
    );
  }
  const iat = toSeconds((options.clock ?? Date.now)());
  const draft = {
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    aud: options.aud ?? DEFAULT_AUDIENCE,
    iat,
    exp: iat + ttl,
    action: options.action,
    intent: "",
    requester: options.requester ?? defaultRequester(),
  };
  // Validate the action before hashing it, so the digest is over exactly what will be shown.
  const action = parseChallenge({ ...draft, intent: encodeBase64url(new Uint8Array(32)) }).action;
  return parseChallenge({ ...draft, action, intent: intentDigest(options.intent ?? actionAsJson(action)) });
}

/** The default intent: the action object itself, as the protocol specifies. */
function actionAsJson(action: Action): JsonValue {
  return action.details === undefined ? { summary: action.summary } : { summary: action.summary, details: action.details };
}
