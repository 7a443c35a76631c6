import { createHash, hash } from "node:crypto";
import type { Challenge, JsonValue, PairingRequest } from "./protocol/index.js";
import { canonicalize, encodeBase64url, keyIdInput } from "./protocol/index.js";
import { canonicalizeParsed } from "./protocol/jcs.js";

/*
 * Node-side digests (node:crypto; the extension computes the same with WebCrypto). Digests of
 * documents hash the UTF-8 of JCS(document) (protocol digestInput); crypto.hash takes the
 * canonical string directly, which saves an encode and a copy on the verification hot path.
 */

export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** base64url(SHA-256(UTF-8(JCS(value)))). */
function documentDigest(value: unknown): string {
  return hash("sha256", canonicalize(value), "base64url");
}

/** base64url(SHA-256(JCS(challenge))): the value a decision statement signs over. */
export function challengeDigest(challenge: Challenge): string {
  return documentDigest(challenge);
}

/** challengeDigest of a challenge fresh from its strict parser, with the parser's ParseNotes verdict. */
export function parsedChallengeDigest(challenge: Challenge, stringifyIsCanonical: boolean): string {
  return hash("sha256", canonicalizeParsed(challenge, stringifyIsCanonical), "base64url");
}

/** base64url(SHA-256(JCS(pairing request))). */
export function pairingRequestDigest(request: PairingRequest): string {
  return documentDigest(request);
}

/**
 * base64url(SHA-256(JCS({"code": code, "request": requestDigest}))): what a pairing statement's
 * `codeDigest` carries. `code` is the canonical confirmation code (six letters, no hyphen).
 */
export function pairingCodeDigest(code: string, requestDigest: string): string {
  return documentDigest({ code, request: requestDigest });
}

/** base64url(SHA-256(JCS(intent))): what `challenge.intent` carries. */
export function intentDigest(intent: JsonValue): string {
  return documentDigest(intent);
}

/** RFC 7638 thumbprint of a raw Ed25519 public key. */
export function keyIdFromPublicKey(publicKey: Uint8Array): string {
  return encodeBase64url(sha256(keyIdInput(publicKey)));
}
