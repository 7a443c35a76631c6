import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from "node:crypto";
import { challengeDigest, intentDigest, keyIdFromPublicKey, pairingCodeDigest, pairingRequestDigest } from "../../src/digests.js";
import { decodeBase64url, encodeBase64url } from "../../src/protocol/base64url.js";
import type { StatementKind } from "../../src/protocol/constants.js";
import { signingInput } from "../../src/protocol/signing-input.js";
import type {
  ApproverKey,
  Challenge,
  DecisionStatement,
  JsonValue,
  PairingRequest,
  PairingResponse,
  PairingStatement,
  Receipt,
} from "../../src/protocol/types.js";

/** A real Ed25519 approver key (node:crypto), as a browser extension would hold it. */
export interface TestApprover {
  sub: string;
  kid: string;
  publicKey: Uint8Array;
  privateKey: KeyObject;
  key: ApproverKey;
}

export function newApprover(sub = "alice"): TestApprover {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = decodeBase64url(publicKey.export({ format: "jwk" }).x as string);
  const kid = keyIdFromPublicKey(raw);
  return { sub, kid, publicKey: raw, privateKey, key: { sub, kid, publicKey: raw } };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function makeChallenge(overrides: Partial<Challenge> = {}, now = nowSeconds()): Challenge {
  const action = overrides.action ?? { summary: "delete /tmp/testfile", details: { path: "/tmp/testfile", recursive: false } };
  return {
    v: 1,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    aud: "hitl-cli",
    iat: now - 5,
    exp: now + 120,
    action,
    intent: intentDigest(action as unknown as JsonValue),
    requester: { tool: "hitl-cli", host: "test-host", pid: process.pid, cwd: "/tmp" },
    ...overrides,
  };
}

export function signBytes(approver: TestApprover, bytes: Uint8Array): string {
  return encodeBase64url(sign(null, bytes, approver.privateKey));
}

/** A signed receipt; `statement` overrides are signed over (they are not tampering). */
export function signReceipt(
  challenge: Challenge,
  approver: TestApprover,
  statement: Partial<DecisionStatement> = {},
  kind: StatementKind = "decision",
): Receipt {
  const full: DecisionStatement = {
    v: 1,
    decision: "approve",
    challenge: challengeDigest(challenge),
    sub: approver.sub,
    kid: approver.kid,
    decidedAt: challenge.iat + 2,
    ...statement,
  };
  const bytes = signingInput(kind as "decision", full);
  return { v: 1, challenge, statement: full, sig: signBytes(approver, bytes), kid: full.kid };
}

export function makePairingRequest(overrides: Partial<PairingRequest> = {}, now = nowSeconds()): PairingRequest {
  return {
    v: 1,
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

/** The confirmation code the fixtures' "pairing window" shows (canonical form). */
export const WINDOW_CODE = "KPTWRM";

export function signPairing(
  request: PairingRequest,
  approver: TestApprover,
  statement: Partial<PairingStatement> = {},
  kind: StatementKind = "pairing",
  windowCode = WINDOW_CODE,
): PairingResponse {
  const requestDigest = pairingRequestDigest(request);
  const full: PairingStatement = {
    v: 1,
    request: requestDigest,
    sub: request.subject,
    kid: approver.kid,
    publicKey: encodeBase64url(approver.publicKey),
    pairedAt: request.iat + 3,
    codeDigest: pairingCodeDigest(windowCode, requestDigest),
    ...statement,
  };
  return { statement: full, sig: signBytes(approver, signingInput(kind as "pairing", full)) };
}

/** A deep copy through JSON, as a receipt arrives over the wire. */
export function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
