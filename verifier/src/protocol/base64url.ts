import { HitlError } from "./errors.js";

/** The one binary encoding of hitl: base64url (RFC 4648 section 5) without padding. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64url(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * The checks of decodeBase64url without decoding: for the parsers, which only need to know a
 * value is canonical base64url (the verifier decodes the one or two values it uses).
 */
export function assertBase64url(text: string, field = "value"): void {
  if (text.length % 4 === 1) {
    throw new HitlError("ERR_INVALID_ENCODING", `${field} is not valid base64url: impossible length ${text.length}.`);
  }
  if (!BASE64URL_CHARS.test(text)) {
    decodeBase64url(text, field); // throws the precise error (position of the bad character)
  }
  // The last character of a 2- or 3-character group carries 4 or 2 unused bits: they must be 0.
  const unusedBits = ((text.length % 4) * 6) % 8;
  const last = text.length === 0 ? 0 : LOOKUP[text.charCodeAt(text.length - 1)]!;
  if ((last & ((1 << unusedBits) - 1)) !== 0) {
    throw new HitlError("ERR_INVALID_ENCODING", `${field} is not canonical base64url: trailing bits are not zero.`);
  }
}

const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;

/**
 * Strict decoder: rejects padding, whitespace, the standard-base64 characters `+` and `/`,
 * impossible lengths and non-zero trailing bits, so each byte string has exactly one encoding
 * (no signature or key malleability through the encoding).
 */
export function decodeBase64url(text: string, field = "value"): Uint8Array {
  if (text.length % 4 === 1) {
    throw new HitlError("ERR_INVALID_ENCODING", `${field} is not valid base64url: impossible length ${text.length}.`);
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) {
      throw new HitlError(
        "ERR_INVALID_ENCODING",
        `${field} is not valid base64url: unexpected character at position ${i} (use A-Z a-z 0-9 - _ and no padding).`,
      );
    }
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) {
    throw new HitlError("ERR_INVALID_ENCODING", `${field} is not canonical base64url: trailing bits are not zero.`);
  }
  return out;
}
