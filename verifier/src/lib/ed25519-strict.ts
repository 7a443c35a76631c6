import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { keyIdFromPublicKey } from "../digests.js";
import { HitlError } from "../protocol/errors.js";

/*
 * Ed25519 verification with the RFC 8032 strictness OpenSSL leaves out, checked BEFORE
 * node:crypto: a canonical S (S < L, section 5.1.7) and a public key that is canonically encoded
 * (y < p) and not of small order. A small-order key lets one signature verify for many messages,
 * and a non-canonical S makes a second valid signature out of the first (malleability).
 * Non-canonical R needs no check: OpenSSL compares the re-encoded R with the given bytes.
 */

/** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const ORDER_LE = Uint8Array.from(Buffer.from("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", "hex"));

/** Field prime p = 2^255 - 19, little-endian. */
const PRIME_LE = Uint8Array.from(Buffer.from("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex"));

/**
 * y-coordinates (sign bit cleared, little-endian hex) of the 8 points of order 1, 2, 4 and 8.
 * Either sign bit is rejected. The only non-canonical encodings of these (y = p, y = p + 1)
 * are caught earlier by the y < p rule.
 */
const SMALL_ORDER_Y = new Set([
  "0000000000000000000000000000000000000000000000000000000000000000", // y = 0: two points of order 4
  "0100000000000000000000000000000000000000000000000000000000000000", // y = 1: the identity
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p - 1: order 2
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // two points of order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // two points of order 8
]);

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** -1, 0, 1 as a compares to b, both 32-byte little-endian integers. */
function compareLittleEndian(a: Uint8Array, offset: number, b: Uint8Array): number {
  for (let i = 31; i >= 0; i--) {
    const x = a[offset + i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export type WeakKeyReason = "length" | "non-canonical" | "small-order";

/** Why a raw public key must be refused, or undefined if it may be used. */
export function weakPublicKeyReason(publicKey: Uint8Array): WeakKeyReason | undefined {
  if (publicKey.length !== 32) return "length";
  const y = Uint8Array.from(publicKey);
  y[31] = y[31]! & 0x7f;
  if (compareLittleEndian(y, 0, PRIME_LE) >= 0) return "non-canonical";
  if (SMALL_ORDER_Y.has(Buffer.from(y.buffer, y.byteOffset, 32).toString("hex"))) return "small-order";
  return undefined;
}

const WEAK_KEY_TEXT: Record<WeakKeyReason, string> = {
  length: "is not 32 bytes long",
  "non-canonical": "is not canonically encoded (y >= p)",
  "small-order": "is a small-order point, which would verify signatures for many messages",
};

export function assertStrongPublicKey(publicKey: Uint8Array, what = "The public key"): void {
  const reason = weakPublicKeyReason(publicKey);
  if (reason !== undefined) {
    throw new HitlError(
      "ERR_WEAK_PUBLIC_KEY",
      `${what} ${WEAK_KEY_TEXT[reason]}; it is refused. Pair the approver again with \`hitl pair\`.`,
    );
  }
}

/** True when the S half of a 64-byte signature is reduced (S < L). */
export function isCanonicalScalar(signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const top = signature[63]!;
  // Fast paths: L's top byte is 0x10, so most honest S values decide on one byte.
  if (top < 0x10) return true;
  if (top > 0x10) return false;
  return compareLittleEndian(signature, 32, ORDER_LE) < 0;
}

export function assertCanonicalSignature(signature: Uint8Array): void {
  if (!isCanonicalScalar(signature)) {
    throw new HitlError(
      "ERR_NONCANONICAL_SIGNATURE",
      "The signature is not in canonical form (S >= L, or not 64 bytes); it was altered. Request a new approval.",
    );
  }
}

/**
 * A checked public key ready for node:crypto. Created once per key: importing a KeyObject and
 * the weak-key check cost more than a verification, so they never run on the hot path twice.
 */
export interface StrictPublicKey {
  readonly raw: Uint8Array;
  readonly keyObject: KeyObject;
  /** RFC 7638 thumbprint of `raw`, so callers can match a key id without hashing again. */
  readonly kid: string;
}

const BY_BYTES = new Map<string, StrictPublicKey>();
const BY_IDENTITY = new WeakMap<Uint8Array, StrictPublicKey>();
/** Key directories are small; a bound keeps a directory that churns keys from growing memory. */
const CACHE_LIMIT = 10_000;

/** Checks (weak key) and imports a raw Ed25519 public key, cached. Throws ERR_WEAK_PUBLIC_KEY. */
export function importPublicKey(publicKey: Uint8Array): StrictPublicKey {
  const known = BY_IDENTITY.get(publicKey);
  // The bytes are compared too: a caller may reuse one array for another key.
  if (known !== undefined && sameBytes(known.raw, publicKey)) return known;
  const bytesKey = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("latin1");
  let entry = BY_BYTES.get(bytesKey);
  if (entry === undefined) {
    assertStrongPublicKey(publicKey);
    const raw = Uint8Array.from(publicKey);
    const keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
    entry = { raw, keyObject, kid: keyIdFromPublicKey(raw) };
    if (BY_BYTES.size >= CACHE_LIMIT) BY_BYTES.clear();
    BY_BYTES.set(bytesKey, entry);
  }
  BY_IDENTITY.set(publicKey, entry);
  return entry;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Strict verification on the calling thread. Throws ERR_WEAK_PUBLIC_KEY or
 * ERR_NONCANONICAL_SIGNATURE; returns whether the signature is valid.
 */
export function verifyStrict(publicKey: Uint8Array | StrictPublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKey instanceof Uint8Array ? importPublicKey(publicKey) : publicKey;
  assertCanonicalSignature(signature);
  return cryptoVerify(null, data, key.keyObject, signature);
}

/**
 * Same checks; the Ed25519 arithmetic runs on the libuv thread pool, so a busy process verifies
 * on every core while its main thread keeps parsing and talking to the nonce store.
 */
export function verifyStrictAsync(publicKey: Uint8Array | StrictPublicKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  let key: StrictPublicKey;
  try {
    key = publicKey instanceof Uint8Array ? importPublicKey(publicKey) : publicKey;
    assertCanonicalSignature(signature);
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    cryptoVerify(null, data, key.keyObject, signature, (error, valid) => {
      if (error) reject(error);
      else resolve(valid);
    });
  });
}
