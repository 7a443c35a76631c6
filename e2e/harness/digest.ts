import { createHash } from "node:crypto";
import { type Challenge, canonicalBytes, encodeBase64url } from "../../verifier/dist/protocol/index.js";

/** The verifier's definition of a challenge digest, computed independently of the extension. */
export function challengeDigest(challenge: Challenge): string {
  return encodeBase64url(createHash("sha256").update(canonicalBytes(challenge)).digest());
}
