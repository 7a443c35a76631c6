/**
 * The test kit: real Ed25519 approvers (node:crypto, not mocks) and valid protocol documents, for the
 * tests of every package. Exported as `@hitl/verifier/testing` only: no production entry imports it.
 * A field added to a protocol document is added here once, not in each package's tests.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign, verify } from "node:crypto";
import { challengeDigest, intentDigest, keyIdFromPublicKey, pairingCodeDigest, pairingRequestDigest } from "../digests.js";
import { decodeBase64url, encodeBase64url } from "../protocol/base64url.js";
import { PROTOCOL_VERSION, type StatementKind } from "../protocol/constants.js";
import type { ExtensionToHost } from "../protocol/messages.js";
import { signingInput } from "../protocol/signing-input.js";
import type {
  ApproverKey,
  ApproverRecord,
  Challenge,
  DecisionStatement,
  JsonValue,
  KeyRegistration,
  KeyRegistrationStatement,
  PairingRequest,
  PairingResponse,
  PairingStatement,
  Receipt,
} from "../protocol/types.js";

/** A real Ed25519 approver key, playing the part of the browser extension. */
export interface TestApprover {
  sub: string;
  kid: string;
  /** The raw 32-byte public key. */
  publicKey: Uint8Array;
  /** The public key as approvers files and the CLI's JSON carry it (base64url). */
  publicKeyText: string;
  privateKey: KeyObject;
  /** As a key directory returns it. */
  key: ApproverKey;
  /** As a line of approvers.json holds it. */
  record: ApproverRecord;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A new approver key, or the approver holding `privateKey` (e.g. a key recovered from a profile's files). */
export function makeApprover(sub = "alice", privateKey: KeyObject = generateKeyPairSync("ed25519").privateKey): TestApprover {
  const x = createPublicKey(privateKey).export({ format: "jwk" }).x;
  if (x === undefined) throw new Error("node:crypto returned an Ed25519 JWK without x");
  const raw = decodeBase64url(x);
  const kid = keyIdFromPublicKey(raw);
  const publicKeyText = encodeBase64url(raw);
  return {
    sub,
    kid,
    publicKey: raw,
    publicKeyText,
    privateKey,
    key: { sub, kid, publicKey: raw },
    record: { sub, kid, publicKey: publicKeyText, pairedAt: nowSeconds() },
  };
}

/** A valid challenge, issued five seconds ago and valid for two minutes; `intent` follows `action`. */
export function makeChallenge(overrides: Partial<Challenge> = {}, now = nowSeconds()): Challenge {
  const action = overrides.action ?? { summary: "delete /tmp/testfile", details: { path: "/tmp/testfile", recursive: false } };
  return {
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    aud: "hitl-cli",
    iat: now - 5,
    exp: now + 120,
    action,
    intent: intentDigest(action as JsonValue),
    requester: { tool: "hitl-cli", host: "test-host", pid: process.pid, cwd: "/tmp" },
    ...overrides,
  };
}

export function makePairingRequest(overrides: Partial<PairingRequest> = {}, now = nowSeconds()): PairingRequest {
  return {
    v: PROTOCOL_VERSION,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    code: "123-456",
    subject: "alice",
    aud: "hitl-cli",
    iat: now - 5,
    exp: now + 120,
    requester: { tool: "hitl-cli", host: "test-host", pid: process.pid },
    ...overrides,
  };
}

export function signBytes(approver: TestApprover, bytes: Uint8Array): string {
  return encodeBase64url(sign(null, bytes, approver.privateKey));
}

/**
 * A signed receipt approving `challenge`, decided two seconds after it was issued. `statement`
 * overrides are signed over (they are not tampering); `kind` other than "decision" makes the
 * cross-protocol forgery a verifier must refuse.
 */
export function signReceipt(
  challenge: Challenge,
  approver: TestApprover,
  statement: Partial<DecisionStatement> = {},
  kind: StatementKind = "decision",
): Receipt {
  const full: DecisionStatement = {
    v: PROTOCOL_VERSION,
    decision: "approve",
    challenge: challengeDigest(challenge),
    sub: approver.sub,
    kid: approver.kid,
    decidedAt: challenge.iat + 2,
    ...statement,
  };
  const sig = signBytes(approver, signingInput(kind as "decision", full));
  return { v: PROTOCOL_VERSION, challenge, statement: full, sig, kid: full.kid };
}

/** Whether `receipt` carries a good signature by `approver` (signature only: no other check). */
export function receiptSignedBy(receipt: Receipt, approver: TestApprover): boolean {
  const publicKey = { key: { kty: "OKP", crv: "Ed25519", x: approver.publicKeyText }, format: "jwk" } as const;
  return verify(null, signingInput("decision", receipt.statement), publicKey, decodeBase64url(receipt.sig));
}

/** The confirmation code the kit's "pairing window" shows (canonical form), unless a test picks another. */
export const WINDOW_CODE = "KPTWRM";

/**
 * A pairing answer binding `windowCode` (what the pairing window shows after Pair), made three
 * seconds after the request. `kind` other than "pairing" makes the cross-protocol forgery.
 */
export function signPairing(
  request: PairingRequest,
  approver: TestApprover,
  statement: Partial<PairingStatement> = {},
  kind: StatementKind = "pairing",
  windowCode = WINDOW_CODE,
): PairingResponse {
  const requestDigest = pairingRequestDigest(request);
  const full: PairingStatement = {
    v: PROTOCOL_VERSION,
    request: requestDigest,
    sub: request.subject,
    kid: approver.kid,
    publicKey: approver.publicKeyText,
    pairedAt: request.iat + 3,
    codeDigest: pairingCodeDigest(windowCode, requestDigest),
    ...statement,
  };
  return { statement: full, sig: signBytes(approver, signingInput(kind as "pairing", full)) };
}

/**
 * A team-mode key registration (POST /v1/keys) made now and valid for two minutes, signed by
 * `signer` (default: the key it registers, i.e. a good proof of possession). `statement`
 * overrides are signed over.
 */
export function signKeyRegistration(
  approver: TestApprover,
  fields: { sub: string; iss: string; aud: string },
  statement: Partial<KeyRegistrationStatement> = {},
  signer: TestApprover = approver,
  now = nowSeconds(),
): KeyRegistration {
  const full: KeyRegistrationStatement = {
    aud: fields.aud,
    exp: now + 120,
    iat: now,
    iss: fields.iss,
    kid: approver.kid,
    nonce: encodeBase64url(randomBytes(32)),
    publicKey: approver.publicKeyText,
    sub: fields.sub,
    v: PROTOCOL_VERSION,
    ...statement,
  };
  return { sig: signBytes(signer, signingInput("keyRegistration", full)), statement: full };
}

/** The extension's first message on its native port: a paired key, nothing pending. */
export const EXTENSION_HELLO = {
  type: "extension.hello",
  extensionVersion: "0.1.0",
  browser: "chromium",
  status: { keyPresent: true, keyPolicy: "persistent", pending: 0 },
} as const satisfies Extract<ExtensionToHost, { type: "extension.hello" }>;

/** A deep copy through JSON, as a document arrives over the wire. */
export function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
