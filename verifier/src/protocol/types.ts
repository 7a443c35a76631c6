/**
 * Every document hitl signs, relays or checks. Field names are short and fixed: they are part of
 * the signed bytes (RFC 8785 JCS), so renaming one is a protocol version change.
 * Binary values are base64url without padding. Times are integer seconds since the Unix epoch.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What the human reads in the approval window, exactly as signed. (A type alias, not an
 * interface, so that an Action is also a JsonValue and can be hashed as the default intent.) */
export type Action = {
  /** One-line (or a few lines) description: "delete /tmp/testfile". */
  summary: string;
  /** Optional structured details, shown as formatted JSON. */
  details?: JsonValue;
};

/** Who asks. Informational for the human, but signed over like everything else. */
export interface RequesterContext {
  tool: string;
  host?: string;
  pid?: number;
  cwd?: string;
}

/** Made by the requester; bound to one action, one audience, one time window, one nonce. */
export interface Challenge {
  v: 1;
  /** UUID v4, lowercase: names the request in logs and windows. */
  id: string;
  /** 32 CSPRNG bytes: the single-use value a verifier consumes. */
  nonce: string;
  /** Who will verify the receipt. A receipt for one audience is useless to another. */
  aud: string;
  iat: number;
  exp: number;
  action: Action;
  /** SHA-256 of JCS(intent): binds the approval to the structured call the requester will make. */
  intent: string;
  requester: RequesterContext;
}

export type Decision = "approve" | "deny";

/** Made by the approver's browser; signed with prefix SIGNING_PREFIXES.decision. */
export interface DecisionStatement {
  v: 1;
  decision: Decision;
  /** SHA-256 of JCS(challenge): the exact challenge the approval window showed. */
  challenge: string;
  /** Approver subject (local pairing: the confirmed name; team mode: the Keycloak user id). */
  sub: string;
  /** RFC 7638 thumbprint of the signing key. */
  kid: string;
  decidedAt: number;
}

/** Self-contained and verifiable offline with the approver's public key. */
export interface Receipt {
  v: 1;
  challenge: Challenge;
  statement: DecisionStatement;
  /** Ed25519 signature over SIGNING_PREFIXES.decision || JCS(statement). */
  sig: string;
  /** Must equal statement.kid; lets a verifier pick the key before parsing further. */
  kid: string;
}

/** Made by `hitl pair`: asks the browser to prove possession of its key and confirm a short code. */
export interface PairingRequest {
  v: 1;
  id: string;
  nonce: string;
  /** Shown in the terminal and in the browser; the human confirms they match. */
  code: string;
  /** The approver name proposed by the terminal (default: the OS user name). */
  subject: string;
  /** The verifier this pairing is for. */
  aud: string;
  iat: number;
  exp: number;
  requester: RequesterContext;
}

/** Signed with prefix SIGNING_PREFIXES.pairing by the key it names: proof of possession. */
export interface PairingStatement {
  v: 1;
  /** SHA-256 of JCS(pairing request). */
  request: string;
  sub: string;
  kid: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: string;
  pairedAt: number;
  /**
   * Digest of JCS({"code": <confirmation code>, "request": <request>}): binds the code the window
   * showed after the click on Pair, which the human types into the terminal. A hash, not the code,
   * because the statement passes through the host and its log (the code space is small enough to
   * brute-force, so this keeps it out of plain sight; it is not a secret once the statement is seen).
   */
  codeDigest: string;
}

export interface PairingResponse {
  statement: PairingStatement;
  sig: string;
}

/**
 * Team mode: the statement a browser key signs to register itself on its owner's Keycloak
 * account (docs/protocol.md §3.8). Signed with SIGNING_PREFIXES.keyRegistration by the key it
 * names (proof of possession), so it can never be confused with a decision or a pairing.
 * Members in JCS order.
 */
export interface KeyRegistrationStatement {
  /** The hitl server's public base URL (e.g. "https://hitl.example.com"): where this statement may be used. */
  aud: string;
  /** When the statement stops being accepted; at most 300 s after iat. */
  exp: number;
  iat: number;
  /** The realm's issuer URL, equal to the access token's `iss`. */
  iss: string;
  kid: string;
  /** 32 random bytes: one statement registers once. */
  nonce: string;
  publicKey: string;
  /** The Keycloak user id, equal to the access token's `sub`. */
  sub: string;
  v: 1;
}

/** The body of POST /v1/keys. */
export interface KeyRegistration {
  sig: string;
  statement: KeyRegistrationStatement;
}

/** One approver key as a key directory returns it. */
export interface ApproverKey {
  sub: string;
  kid: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  label?: string;
}

/** The approvers file written by `hitl pair` (see docs/protocol.md, "Approvers file"). */
export interface ApproversFile {
  v: 1;
  approvers: ApproverRecord[];
}

export interface ApproverRecord {
  sub: string;
  kid: string;
  publicKey: string;
  label?: string;
  pairedAt: number;
}

/** Only `code` and `message` cross a process boundary. */
export interface WireError {
  code: string;
  message: string;
}
