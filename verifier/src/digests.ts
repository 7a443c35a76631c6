import { createHash } from "node:crypto";
import { digestInput, encodeBase64url, keyIdInput } from "./protocol/index.js";
import type { Challenge, JsonValue, PairingRequest } from "./protocol/index.js";

/** Node-side digests (node:crypto; the extension computes the same with WebCrypto). */
export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** base64url(SHA-256(JCS(challenge))): the value a decision statement signs over. */
export function challengeDigest(challenge: Challenge): string {
  return encodeBase64url(sha256(digestInput(challenge)));
}

/** base64url(SHA-256(JCS(pairing request))). */
export function pairingRequestDigest(request: PairingRequest): string {
  return encodeBase64url(sha256(digestInput(request)));
}

/** base64url(SHA-256(JCS(intent))): what `challenge.intent` carries. */
export function intentDigest(intent: JsonValue): string {
  return encodeBase64url(sha256(digestInput(intent)));
}

/** RFC 7638 thumbprint of a raw Ed25519 public key. */
export function keyIdFromPublicKey(publicKey: Uint8Array): string {
  return encodeBase64url(sha256(keyIdInput(publicKey)));
}
