import { ENCODED_LENGTHS, LIMITS } from "./constants.js";
import { malformed, readBase64url, readObject, readString, readTimestamp, readVersion } from "./lib/reader.js";
import type { KeyRegistration, KeyRegistrationStatement } from "./types.js";

/**
 * Team-mode key registration (docs/protocol.md §3.8): the statement a browser key signs with the
 * `keyRegistration` prefix to register itself on its owner's account at the hitl server.
 */
export const KEY_REGISTRATION = {
  /** Longest allowed statement lifetime (exp - iat), seconds: a statement is made for one request. */
  maxLifetimeSeconds: 300,
  /** The login behind a registration (the access token's auth_time) is at most this old. */
  loginFreshnessSeconds: 120,
  /** Bytes of iss and aud (URLs). */
  urlBytes: LIMITS.audienceBytes,
} as const;

/** Strict parser: known members only, each checked for shape, size and characters, no coercion. */
export function parseKeyRegistrationStatement(value: unknown, path = "registration.statement"): KeyRegistrationStatement {
  const record = readObject(value, path, ["v", "iss", "sub", "kid", "publicKey", "aud", "iat", "exp", "nonce"]);
  const v = readVersion(record.v, `${path}.v`);
  const iss = readUrl(record.iss, `${path}.iss`);
  const sub = readString(record.sub, `${path}.sub`, LIMITS.subjectBytes, "line");
  const kid = readBase64url(record.kid, `${path}.kid`, ENCODED_LENGTHS.keyId);
  const publicKey = readBase64url(record.publicKey, `${path}.publicKey`, ENCODED_LENGTHS.publicKey);
  const aud = readUrl(record.aud, `${path}.aud`);
  const iat = readTimestamp(record.iat, `${path}.iat`);
  const exp = readTimestamp(record.exp, `${path}.exp`);
  const nonce = readBase64url(record.nonce, `${path}.nonce`, ENCODED_LENGTHS.nonce);
  if (exp <= iat) malformed(`${path}.exp`, "must be later than iat");
  if (exp - iat > KEY_REGISTRATION.maxLifetimeSeconds) {
    malformed(`${path}.exp`, `must be at most ${KEY_REGISTRATION.maxLifetimeSeconds} seconds after iat`);
  }
  return { aud, exp, iat, iss, kid, nonce, publicKey, sub, v };
}

/** The body of POST /v1/keys: `{ "statement": {…}, "sig": "<86>" }`. */
export function parseKeyRegistration(value: unknown, path = "registration"): KeyRegistration {
  const record = readObject(value, path, ["statement", "sig"]);
  const statement = parseKeyRegistrationStatement(record.statement, `${path}.statement`);
  const sig = readBase64url(record.sig, `${path}.sig`, ENCODED_LENGTHS.signature);
  return { sig, statement };
}

/**
 * An absolute http(s) URL with no user info, query or fragment, written exactly as URL would
 * write it (so "the same URL" is a string comparison): the server compares
 * `aud` with its own public URL and `iss` with the token's issuer byte for byte.
 */
function readUrl(value: unknown, path: string): string {
  const text = readString(value, path, KEY_REGISTRATION.urlBytes, "line");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return malformed(path, "must be an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") malformed(path, "must be an http or https URL");
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    malformed(path, "must not carry user info, a query or a fragment");
  }
  // "https://h.example" and "https://h.example/" both name the root; anything else is written as URL writes it.
  if (text !== url.href && !(url.pathname === "/" && text === url.origin)) malformed(path, `must be written canonically (${url.href})`);
  return text;
}
