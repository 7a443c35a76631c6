/** Wire version of every hitl document. A verifier rejects any other value. */
export const PROTOCOL_VERSION = 1 as const;

/**
 * Domain-separation prefixes. The signed bytes are PREFIX || JCS(statement). Each prefix ends in
 * a NUL byte and no prefix is a prefix of another, and JCS output never contains a raw NUL, so a
 * signature made for one statement kind can never verify as another kind.
 */
export const SIGNING_PREFIXES = {
  decision: "hitl/decision/v1\u0000",
  pairing: "hitl/pairing/v1\u0000",
  keyRegistration: "hitl/key-registration/v1\u0000",
} as const;

export type StatementKind = keyof typeof SIGNING_PREFIXES;

/** Size limits, in UTF-8 bytes unless stated. Checked before any crypto. */
export const LIMITS = {
  /** A whole serialized receipt (or any request body carrying one). */
  receiptBytes: 64 * 1024,
  /** A whole serialized challenge. */
  challengeBytes: 48 * 1024,
  summaryBytes: 2048,
  /** JCS bytes of action.details. */
  detailsBytes: 32 * 1024,
  /** JCS bytes of a structured intent (hashed, never shipped). Informational for SDKs. */
  intentBytes: 256 * 1024,
  detailsDepth: 16,
  audienceBytes: 256,
  subjectBytes: 256,
  toolBytes: 128,
  hostBytes: 256,
  cwdBytes: 4096,
  labelBytes: 128,
  /** Longest allowed challenge lifetime (exp - iat), seconds. */
  maxLifetimeSeconds: 3600,
  /** Native messaging: Chrome refuses host->browser messages over 1 MiB. */
  nativeMessageBytes: 1024 * 1024,
} as const;

/** Fixed lengths of base64url (no padding) encodings. */
export const ENCODED_LENGTHS = {
  /** 32 random bytes. */
  nonce: 43,
  /** SHA-256 digest. */
  digest: 43,
  /** Raw Ed25519 public key (32 bytes). */
  publicKey: 43,
  /** Ed25519 signature (64 bytes). */
  signature: 86,
  /** RFC 7638 thumbprint (SHA-256). */
  keyId: 43,
} as const;

/** Pairing codes are shown in the terminal and in the browser: "123-456". */
export const PAIRING_CODE_PATTERN = /^[0-9]{3}-[0-9]{3}$/;

/**
 * The confirmation code the pairing window makes with its CSPRNG after the click on Pair and the
 * human types into the terminal. Letters only, so it can never be mistaken for the terminal's
 * digits; consonants only (no vowels, no Y), so it spells no words and has no I/O to confuse with
 * 1/0. Six of twenty: 20^6 = 64,000,000 codes (25.9 bits). Shown as "KPT-WRM"; canonical form
 * (what is hashed into the statement) is the six letters without the hyphen.
 */
export const PAIRING_CONFIRMATION_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
export const PAIRING_CONFIRMATION_LENGTH = 6;
export const PAIRING_CONFIRMATION_PATTERN = /^[BCDFGHJKLMNPQRSTVWXZ]{6}$/;

/** Default local signing-host port (overridable by HITL_PORT / --port). */
export const DEFAULT_PORT = 7331;

/** The audience `hitl request` uses when none is given. */
export const DEFAULT_AUDIENCE = "hitl-cli";

/** Native messaging host name registered with browsers. */
export const NATIVE_HOST_NAME = "dev.hitl.signing_host";

/**
 * Transport authentication (docs/protocol.md section 6.1). The client sends a fresh random nonce
 * with every request; the signing host answers every response with an HMAC-SHA256 proof, keyed
 * with the per-user host secret, over PREFIX || nonce || NUL || method || NUL || path || NUL ||
 * status || NUL || SHA-256(body). A program of another OS user cannot read the secret, so it
 * cannot answer in the host's place.
 */
export const HOST_AUTH = {
  /** Request header: 32 CSPRNG bytes, base64url (43 characters). */
  nonceHeader: "x-hitl-client-nonce",
  /** Response header: the 32-byte HMAC, base64url (43 characters). */
  proofHeader: "x-hitl-host-proof",
  proofPrefix: "hitl/host-proof/v1\u0000",
  /** Bytes of the host secret (the file holds them base64url-encoded, 43 characters). */
  secretBytes: 32,
} as const;
