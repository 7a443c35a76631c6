import type { HitlError } from "./protocol/errors.js";
import type { ApproverKey, Challenge, Receipt } from "./protocol/types.js";

/**
 * Where approver keys come from (approvers file now, an identity provider later). Small on
 * purpose: a directory answers one question, and the verifier does every check itself.
 */
export interface KeyDirectory {
  /** The key registered for this subject and key id, or undefined. Throw only when unavailable. */
  lookup(sub: string, kid: string): Promise<ApproverKey | undefined>;
  /**
   * Optional, called only after a failed lookup: the precise error (ERR_UNKNOWN_APPROVER for an
   * unknown subject, ERR_UNKNOWN_KEY for a known subject without this key) with a remedy.
   */
  explainMissing?(sub: string, kid: string): Promise<HitlError>;
}

/** Single-use nonces. Every implementation fails closed. */
export interface NonceStore {
  /**
   * Consume once. Resolves if this is the first use. Throws HitlError:
   * - ERR_REPLAYED: used before;
   * - ERR_NONCE_STORE_RESET: the store lost its memory (e.g. Redis restarted without persistence)
   *   after this receipt could already have been used, so it cannot prove first use;
   * - ERR_NONCE_STORE_UNAVAILABLE: nothing was recorded (store unreachable, refused the write);
   *   presenting the same receipt again once the store works gives the normal answer;
   * - ERR_NONCE_MAYBE_CONSUMED: the write was sent but its outcome is unknown (timeout, connection
   *   lost): presenting it again may give ERR_REPLAYED, which then means this attempt used it.
   * expiresAt/issuedAt = the challenge's exp/iat (seconds); skewSeconds = the clock skew the
   * verifier tolerated (the store keeps the nonce long enough for every verifier within it).
   */
  consume(nonce: string, expiresAt: number, issuedAt: number, skewSeconds?: number): Promise<void>;
  /**
   * Optional: resolves when a consume could be recorded now (the directory takes a new file, Redis
   * answers); records nothing. Throws ERR_NONCE_STORE_UNAVAILABLE, with what to fix, within about
   * a second. requestApproval calls it before the human is asked, so a broken store is found
   * before anyone clicks Approve. Stores without it are taken as ready.
   */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

export interface VerifyExpectations {
  /** Required: the verifier's own audience. */
  aud: string;
  /** When the caller made the challenge: the receipt must carry exactly this one. */
  challenge?: Challenge;
  /**
   * Expected intent digest (base64url). When absent: challenge.intent if a challenge is given,
   * else digest(action) (the protocol's "no structured call" fallback) is required.
   */
  intent?: string;
}

export interface VerifyOptions {
  keys: KeyDirectory;
  /** Explicit: an offline audit never consumes a nonce, so it cannot stop a replay. */
  nonces: NonceStore | "offline-audit";
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Tolerated clock difference between requester, approver and verifier; default 30 s. */
  skewSeconds?: number;
  /**
   * "sync" (default) verifies the signature on the calling thread: lowest latency for one
   * receipt. "threadpool" runs it on libuv's pool so a server verifies on every core.
   */
  signatureCheck?: "sync" | "threadpool";
}

export interface VerifiedApproval {
  receipt: Receipt;
  approver: ApproverKey;
  /** False only for "offline-audit". */
  nonceConsumed: boolean;
}
