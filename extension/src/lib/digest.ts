import { digestInput, encodeBase64url, keyIdInput } from "@hitl/verifier/protocol";

/*
 * Digests with WebCrypto over exactly the bytes the protocol module defines, so the extension and
 * the verifier hash the same bytes (the verifier does the same with node:crypto).
 */
export async function sha256Base64url(bytes: Uint8Array): Promise<string> {
  return encodeBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/** b64url(SHA-256(JCS(value))): the challenge digest and the pairing-request digest. */
export function documentDigest(value: unknown): Promise<string> {
  return sha256Base64url(digestInput(value));
}

/** RFC 7638 thumbprint of a raw Ed25519 public key. */
export function keyIdOf(rawPublicKey: Uint8Array): Promise<string> {
  return sha256Base64url(keyIdInput(rawPublicKey));
}
