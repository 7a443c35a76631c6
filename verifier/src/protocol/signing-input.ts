import { decodeBase64url, encodeBase64url } from "./base64url.js";
import { SIGNING_PREFIXES, type StatementKind } from "./constants.js";
import { canonicalBytes, canonicalizeParsed, utf8 } from "./jcs.js";
import type { DecisionStatement, KeyRegistrationStatement, PairingStatement } from "./types.js";

interface StatementByKind {
  decision: DecisionStatement;
  pairing: PairingStatement;
  keyRegistration: KeyRegistrationStatement;
}

/**
 * The exact bytes an approver signs: the kind's prefix followed by JCS(statement) in UTF-8.
 * `stringifyIsCanonical`: only for a statement fresh from its strict parser (see ParseNotes).
 */
export function signingInput<K extends StatementKind>(kind: K, statement: StatementByKind[K], stringifyIsCanonical = false): Uint8Array {
  return utf8(SIGNING_PREFIXES[kind] + canonicalizeParsed(statement, stringifyIsCanonical));
}

/** Bytes hashed to make challenge, pairing-request and intent digests: JCS in UTF-8, no prefix. */
export const digestInput: (value: unknown) => Uint8Array = canonicalBytes;

/**
 * RFC 7638 JWK thumbprint input for an Ed25519 (RFC 8037 OKP) key. The key id is
 * base64url(SHA-256(these bytes)); hashing is left to the caller (node:crypto or WebCrypto).
 */
export function keyIdInput(publicKey: Uint8Array): Uint8Array {
  return utf8(`{"crv":"Ed25519","kty":"OKP","x":"${encodeBase64url(publicKey)}"}`);
}

/** Human-comparable fingerprint of a key id: the first 8 bytes as four groups of hex. */
export function formatFingerprint(kid: string): string {
  const bytes = decodeBase64url(kid, "key id").subarray(0, 8);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return hex.match(/.{4}/g)?.join(" ") ?? hex;
}
