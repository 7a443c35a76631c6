import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign, verify } from "node:crypto";
import { challengeDigest, intentDigest, keyIdFromPublicKey, pairingCodeDigest, pairingRequestDigest } from "@hitl/verifier";
import {
  type Challenge,
  type DecisionStatement,
  decodeBase64url,
  encodeBase64url,
  type PairingRequest,
  type PairingResponse,
  type PairingStatement,
  type Receipt,
  signingInput,
} from "@hitl/verifier/protocol";

/**
 * The browser's signing role, played by the test with a real node:crypto Ed25519 key (the real
 * extension is exercised by the e2e suite).
 */
export interface TestApprover {
  sub: string;
  kid: string;
  publicKey: Uint8Array;
  decide(challenge: Challenge, decision: "approve" | "deny"): Receipt;
  pair(request: PairingRequest): PairingResponse;
  verifyReceipt(receipt: Receipt): boolean;
}

export function makeApprover(sub = "alice"): TestApprover {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = decodeBase64url(publicKey.export({ format: "jwk" }).x as string);
  const kid = keyIdFromPublicKey(raw);
  const signBytes = (key: KeyObject, bytes: Uint8Array) => encodeBase64url(sign(null, bytes, key));
  return {
    sub,
    kid,
    publicKey: raw,
    decide(challenge, decision) {
      const statement: DecisionStatement = {
        v: 1,
        decision,
        challenge: challengeDigest(challenge),
        sub,
        kid,
        decidedAt: Math.floor(Date.now() / 1000),
      };
      return { v: 1, challenge, statement, sig: signBytes(privateKey, signingInput("decision", statement)), kid };
    },
    pair(request) {
      const requestDigest = pairingRequestDigest(request);
      const statement: PairingStatement = {
        v: 1,
        request: requestDigest,
        sub: request.subject,
        kid,
        publicKey: encodeBase64url(raw),
        pairedAt: Math.floor(Date.now() / 1000),
        codeDigest: pairingCodeDigest("KPTWRM", requestDigest),
      };
      return { statement, sig: signBytes(privateKey, signingInput("pairing", statement)) };
    },
    verifyReceipt(receipt) {
      return verify(null, signingInput("decision", receipt.statement), publicKey, decodeBase64url(receipt.sig));
    },
  };
}

export function makeChallenge(overrides: Partial<Challenge> = {}): Challenge {
  const now = Math.floor(Date.now() / 1000);
  const action = overrides.action ?? { summary: "delete /tmp/testfile" };
  return {
    v: 1,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    aud: "hitl-cli",
    iat: now,
    exp: now + 60,
    action,
    intent: intentDigest(action),
    requester: { tool: "hitl", pid: process.pid },
    ...overrides,
  };
}

export function makePairingRequest(overrides: Partial<PairingRequest> = {}): PairingRequest {
  const now = Math.floor(Date.now() / 1000);
  return {
    v: 1,
    id: randomUUID(),
    nonce: encodeBase64url(randomBytes(32)),
    code: "123-456",
    subject: "alice",
    aud: "hitl-cli",
    iat: now,
    exp: now + 120,
    requester: { tool: "hitl", pid: process.pid },
    ...overrides,
  };
}

export const EXTENSION_HELLO = {
  type: "extension.hello",
  extensionVersion: "0.1.0",
  browser: "chromium",
  status: { keyPresent: true, keyPolicy: "persistent", pending: 0 },
} as const;
