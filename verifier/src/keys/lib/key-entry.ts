import { keyIdFromPublicKey } from "../../digests.js";
import { assertStrongPublicKey } from "../../lib/ed25519-strict.js";
import { decodeBase64url, encodeBase64url } from "../../protocol/base64url.js";
import { HitlError } from "../../protocol/errors.js";

/**
 * One registered key, as one value of the `hitl_keys` user attribute:
 *
 *   v1.<kid>.<publicKey>.<createdAt>.<expiresAt>            (active)
 *   v1.<kid>.<publicKey>.<createdAt>.<expiresAt>.<revokedAt> (revoked, kept until it expires)
 *
 * kid and publicKey are base64url (43 characters each, no `.` possible), times are integer
 * seconds with exactly 10 digits. 112 characters active, 123 revoked: far below Keycloak's
 * 255-character attribute value column, and matched by the realm's `pattern` validator.
 */
export interface KeyEntry {
  kid: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  createdAt: number;
  expiresAt: number;
  /** Set once the owner or an admin revoked the key. */
  revokedAt?: number;
}

/** The realm's pattern validator holds the same expression (checked by keycloak-realm.test.ts). */
export const KEY_ENTRY_PATTERN = /^v1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}\.[1-9][0-9]{9}\.[1-9][0-9]{9}(\.[1-9][0-9]{9})?$/;

function invalid(message: string): never {
  throw new HitlError("ERR_KEY_ENTRY_INVALID", message);
}

/**
 * Strict: shape (the pattern) → encodings → kid is the RFC 7638 thumbprint of the key → the key
 * is a strong Ed25519 point → times are ordered. Throws ERR_KEY_ENTRY_INVALID (or the weak-key
 * code); an entry is never repaired.
 */
export function parseKeyEntry(value: unknown): KeyEntry {
  if (typeof value !== "string" || !KEY_ENTRY_PATTERN.test(value)) {
    invalid(
      `A hitl_keys value is not "v1.<kid>.<publicKey>.<created>.<expires>[.<revoked>]"; the key directory was written by something other than the hitl server. Have an admin remove the value.`,
    );
  }
  const [, kid, encodedKey, created, expires, revoked] = value.split(".") as [string, string, string, string, string, string?];
  const publicKey = decodeBase64url(encodedKey, "hitl_keys publicKey");
  if (publicKey.length !== 32) invalid("A hitl_keys public key is not 32 bytes. Have an admin remove the value.");
  if (keyIdFromPublicKey(publicKey) !== kid) {
    invalid(`The hitl_keys value for key ${kid} carries a public key with another thumbprint. Have an admin remove the value.`);
  }
  assertStrongPublicKey(publicKey, `The key ${kid} in hitl_keys`);
  const createdAt = Number(created);
  const expiresAt = Number(expires);
  if (expiresAt <= createdAt) invalid(`The hitl_keys value for key ${kid} expires before it was created. Have an admin remove the value.`);
  const entry: KeyEntry = { kid, publicKey, createdAt, expiresAt };
  if (revoked !== undefined) {
    const revokedAt = Number(revoked);
    if (revokedAt < createdAt)
      invalid(`The hitl_keys value for key ${kid} is revoked before it was created. Have an admin remove the value.`);
    entry.revokedAt = revokedAt;
  }
  return entry;
}

/** The attribute value for an entry; the inverse of parseKeyEntry (which it runs to check). */
export function formatKeyEntry(entry: KeyEntry): string {
  const parts = ["v1", entry.kid, encodeBase64url(entry.publicKey), String(entry.createdAt), String(entry.expiresAt)];
  if (entry.revokedAt !== undefined) parts.push(String(entry.revokedAt));
  const value = parts.join(".");
  parseKeyEntry(value);
  return value;
}
