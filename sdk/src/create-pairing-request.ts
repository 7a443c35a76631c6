import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import {
  DEFAULT_AUDIENCE,
  encodeBase64url,
  HitlError,
  LIMITS,
  type PairingRequest,
  PROTOCOL_VERSION,
  type RequesterContext,
} from "@hitl/verifier";
import { parsePairingRequest } from "@hitl/verifier/protocol";
import { defaultRequester, toSeconds } from "./lib/requester.js";

export interface CreatePairingRequestOptions {
  /** The approver name to propose. Default: the OS user name. */
  subject?: string;
  /** The verifier this pairing is for. Default "hitl-cli". */
  aud?: string;
  /** Seconds the human has to confirm. Default 120. */
  ttlSeconds?: number;
  requester?: RequesterContext;
  clock?: () => number;
}

export const DEFAULT_PAIRING_TTL_SECONDS = 120;

/**
 * A pairing request with a six-digit code from the CSPRNG, shown in the terminal and in the
 * browser: the human confirming they match binds the browser's answer to this terminal, not to
 * another process racing for the same window.
 */
export function createPairingRequest(options: CreatePairingRequestOptions = {}): PairingRequest {
  const ttl = options.ttlSeconds ?? DEFAULT_PAIRING_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > LIMITS.maxLifetimeSeconds) {
    throw new HitlError(
      "ERR_USAGE",
      `The pairing timeout must be a whole number of seconds from 1 to ${LIMITS.maxLifetimeSeconds}, got ${String(ttl)}.`,
    );
  }
  const iat = toSeconds((options.clock ?? Date.now)());
  return parsePairingRequest({
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    code: pairingCode(),
    subject: options.subject ?? osUserName(),
    aud: options.aud ?? DEFAULT_AUDIENCE,
    iat,
    exp: iat + ttl,
    requester: options.requester ?? defaultRequester(),
  });
}

/** "123-456": six uniformly random digits (randomInt has no modulo bias). */
export function pairingCode(): string {
  const digits = String(randomInt(0, 1_000_000)).padStart(6, "0");
  return `${digits.slice(0, 3)}-${digits.slice(3)}`;
}

function osUserName(): string {
  try {
    const name = userInfo().username;
    if (name.length > 0) return name;
  } catch {
    // No passwd entry (some containers): fall through to the environment.
  }
  const fromEnv = process.env.USER ?? process.env.LOGNAME;
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  throw new HitlError("ERR_USAGE", "Cannot tell your user name from the system; pass the approver name with --name NAME.");
}
