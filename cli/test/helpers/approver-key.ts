import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import {
  type ApproverRecord,
  type Challenge,
  canonicalize,
  challengeDigest,
  type Decision,
  encodeBase64url,
  keyIdFromPublicKey,
  type PairingRequest,
  type PairingResponse,
  pairingCodeDigest,
  pairingRequestDigest,
  type Receipt,
  SIGNING_PREFIXES,
  type StatementKind,
} from "@hitl/verifier";

/** A real Ed25519 key playing the browser extension's part (node:crypto, not a mock). */
export interface TestApprover {
  sub: string;
  kid: string;
  publicKey: string;
  privateKey: KeyObject;
  record: ApproverRecord;
}

export function makeApprover(sub = "alice"): TestApprover {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const x = publicKey.export({ format: "jwk" }).x;
  if (x === undefined) throw new Error("node:crypto returned an Ed25519 JWK without x");
  const raw = Buffer.from(x, "base64url");
  const kid = keyIdFromPublicKey(raw);
  const b64 = encodeBase64url(raw);
  return { sub, kid, publicKey: b64, privateKey, record: { sub, kid, publicKey: b64, pairedAt: Math.floor(Date.now() / 1000) } };
}

function signWithPrefix(approver: TestApprover, kind: StatementKind, statement: unknown): string {
  const bytes = Buffer.from(SIGNING_PREFIXES[kind] + canonicalize(statement), "utf8");
  return encodeBase64url(sign(null, bytes, approver.privateKey));
}

export function signReceipt(
  approver: TestApprover,
  challenge: Challenge,
  decision: Decision,
  options: { decidedAt?: number; statementChallenge?: Challenge; sub?: string } = {},
): Receipt {
  const statement = {
    v: 1 as const,
    decision,
    challenge: challengeDigest(options.statementChallenge ?? challenge),
    sub: options.sub ?? approver.sub,
    kid: approver.kid,
    decidedAt: options.decidedAt ?? Math.floor(Date.now() / 1000),
  };
  return { v: 1, challenge, statement, sig: signWithPrefix(approver, "decision", statement), kid: approver.kid };
}

/** The confirmation code this test "pairing window" shows (canonical form), unless a test picks another. */
export const WINDOW_CODE = "KPTWRM";

/**
 * A pairing answer binding `windowCode` (what the pairing window would show after Pair); `kind`
 * other than "pairing" makes the cross-protocol forgery a verifier must refuse.
 */
export function signPairing(
  approver: TestApprover,
  request: PairingRequest,
  kind: StatementKind = "pairing",
  windowCode = WINDOW_CODE,
): PairingResponse {
  const requestDigest = pairingRequestDigest(request);
  const statement = {
    v: 1 as const,
    request: requestDigest,
    sub: request.subject,
    kid: approver.kid,
    publicKey: approver.publicKey,
    pairedAt: Math.floor(Date.now() / 1000),
    codeDigest: pairingCodeDigest(windowCode, requestDigest),
  };
  return { statement, sig: signWithPrefix(approver, kind, statement) };
}
