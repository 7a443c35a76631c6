import { MAX_SKEW_SECONDS } from "../../lib/options.js";
import { HitlError } from "../../protocol/errors.js";

/**
 * How long a consumed nonce must be remembered, and since when a store must have been keeping
 * them, for single use to hold across verifiers whose clocks differ.
 *
 * Assumption: every verifier clock is within `skew` of true time (the skew each verifier
 * tolerates). A verifier accepts while its clock reads `iat - skew .. exp + skew`, i.e. at true
 * times `iat - 2·skew .. exp + 2·skew`; any other verifier's clock then reads at most 2·skew more
 * (or less) than that one's. So on ANY verifier's clock every acceptance falls within
 * `iat - 3·skew .. exp + 3·skew`; a second of margin covers rounding and clock reading.
 */
export const RETENTION_MARGIN_MS = 1000;

/** The latest time, on the calling verifier's clock, at which any verifier could still accept. */
export function lastAcceptanceMs(expiresAt: number, skewSeconds: number): number {
  return Math.ceil((expiresAt + 3 * skewSeconds) * 1000) + RETENTION_MARGIN_MS;
}

/** The earliest time, on the calling verifier's clock, at which any verifier could have accepted. */
export function firstAcceptanceMs(issuedAt: number, skewSeconds: number): number {
  return Math.floor((issuedAt - 3 * skewSeconds) * 1000) - RETENTION_MARGIN_MS;
}

/** Nonces on the wire are base64url; anything else is a caller bug, refused before any I/O. */
const NONCE = /^[A-Za-z0-9_-]{16,256}$/;

/** Shape checks shared by the stores: refuse rather than record a nonce with a meaningless window. */
export function checkConsumeArguments(nonce: unknown, expiresAt: unknown, issuedAt: unknown, skewSeconds: unknown): void {
  if (typeof nonce !== "string" || !NONCE.test(nonce)) {
    throw new HitlError("ERR_USAGE", "NonceStore.consume: the nonce must be 16 to 256 base64url characters.");
  }
  if (typeof expiresAt !== "number" || !Number.isFinite(expiresAt) || typeof issuedAt !== "number" || !Number.isFinite(issuedAt)) {
    throw new HitlError("ERR_USAGE", "NonceStore.consume: expiresAt and issuedAt must be the challenge's exp and iat (seconds).");
  }
  if (typeof skewSeconds !== "number" || !Number.isFinite(skewSeconds) || skewSeconds < 0 || skewSeconds > MAX_SKEW_SECONDS) {
    throw new HitlError("ERR_USAGE", `NonceStore.consume: skewSeconds must be between 0 and ${MAX_SKEW_SECONDS}.`);
  }
}
