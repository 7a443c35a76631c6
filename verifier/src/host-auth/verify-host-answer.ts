import { timingSafeEqual } from "node:crypto";
import { HitlError } from "../protocol/errors.js";
import { type HostAnswerFields, proofBytes, TOKEN_PATTERN } from "./lib/proof-input.js";

/**
 * Whether `proof` (the x-hitl-host-proof header as received: absent, repeated or malformed
 * count as wrong) was made with our host secret for exactly this answer. Compared in constant
 * time; nothing of the answer may be trusted before this returns true.
 */
export function verifyHostAnswer(secret: Uint8Array, fields: HostAnswerFields, proof: string | string[] | undefined): boolean {
  if (secret.length !== 32) throw new HitlError("ERR_INTERNAL", "The host secret must be 32 bytes.");
  if (typeof proof !== "string" || !TOKEN_PATTERN.test(proof) || !TOKEN_PATTERN.test(fields.nonce)) return false;
  const given = Buffer.from(proof, "base64url");
  // 43 characters decode to 32 bytes; the last one carries 2 unused bits that must be zero.
  if (given.length !== 32 || given.toString("base64url") !== proof) return false;
  return timingSafeEqual(given, proofBytes(secret, fields));
}
