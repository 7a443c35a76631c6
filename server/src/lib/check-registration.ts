import {
  assertStrongPublicKey,
  decodeBase64url,
  HitlError,
  type KeyRegistrationStatement,
  keyIdFromPublicKey,
  verifyStrict,
} from "@hitl/verifier";
import { parseKeyRegistration, signingInput } from "@hitl/verifier/protocol";
import { TOKEN_LEEWAY_SECONDS, type TokenClaims } from "./access-token.js";

/**
 * Checks 3–6 of docs/protocol.md §3.8 on a registration body whose token already passed checks
 * 1–2: shape → binding to the login (sub, iss, aud) → time → key and proof of possession.
 * Returns the statement and the raw public key.
 */
export function checkRegistration(
  body: unknown,
  claims: TokenClaims,
  options: { publicUrl: string; nowMs: number },
): { statement: KeyRegistrationStatement; publicKey: Uint8Array } {
  const { statement, sig } = parseKeyRegistration(body);
  if (statement.sub !== claims.sub) {
    throw new HitlError(
      "ERR_REGISTRATION_SUBJECT_MISMATCH",
      "The registration statement names another user than the one signed in; a key is registered only by its owner. Sign in as that user, or register this browser's key for yourself.",
    );
  }
  if (statement.iss !== claims.iss) {
    throw new HitlError(
      "ERR_REGISTRATION_ISSUER_MISMATCH",
      `The registration statement names the realm ${statement.iss}, but the token comes from ${String(claims.iss)}. The extension must sign the issuer of the login it used.`,
    );
  }
  if (statement.aud !== options.publicUrl && statement.aud !== `${options.publicUrl}/`) {
    throw new HitlError(
      "ERR_REGISTRATION_AUDIENCE_MISMATCH",
      `The registration statement is for the server ${statement.aud}, not this one (${options.publicUrl}). Point the extension at this server's URL.`,
    );
  }
  const now = Math.floor(options.nowMs / 1000);
  if (now > statement.exp + TOKEN_LEEWAY_SECONDS) {
    throw new HitlError("ERR_EXPIRED", "The registration statement has expired; register again (the extension signs a new one).");
  }
  if (statement.iat > now + TOKEN_LEEWAY_SECONDS) {
    throw new HitlError(
      "ERR_NOT_YET_VALID",
      "The registration statement is dated in the future; check this computer's clock, then register again.",
    );
  }
  const publicKey = decodeBase64url(statement.publicKey, "registration.statement.publicKey");
  if (keyIdFromPublicKey(publicKey) !== statement.kid) {
    throw new HitlError(
      "ERR_KEY_ID_MISMATCH",
      "registration.statement.kid is not the thumbprint of its publicKey; the statement was assembled wrongly or altered.",
    );
  }
  assertStrongPublicKey(publicKey, "The key to register");
  const signature = decodeBase64url(sig, "registration.sig");
  if (!verifyStrict(publicKey, signingInput("keyRegistration", statement), signature)) {
    throw new HitlError(
      "ERR_BAD_SIGNATURE",
      "The registration statement's signature does not verify with the key it registers: only the holder of the private key may register it. Nothing was written.",
    );
  }
  return { statement, publicKey };
}
