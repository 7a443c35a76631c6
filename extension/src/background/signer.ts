import {
  type Challenge,
  type Decision,
  type DecisionStatement,
  encodeBase64url,
  type PairingRequest,
  type PairingResponse,
  type PairingStatement,
  type Receipt,
  signingInput,
} from "@hitl/verifier/protocol";
import { documentDigest } from "../lib/digest.js";

/** What signing needs from a key: the non-extractable private key and its id. */
export interface Signer {
  privateKey: CryptoKey;
  kid: string;
  publicKeyRaw: string;
}

async function sign(signer: Signer, bytes: Uint8Array): Promise<string> {
  const sig = await crypto.subtle.sign({ name: "Ed25519" }, signer.privateKey, bytes as Uint8Array<ArrayBuffer>);
  return encodeBase64url(new Uint8Array(sig));
}

/**
 * Sign a decision on `challenge`, the challenge the worker stored for the window that decided.
 * The digest is derived here from that stored challenge, never taken from a page or the host.
 */
export async function signDecision(
  signer: Signer,
  challenge: Challenge,
  decision: Decision,
  subject: string,
  nowMs: number,
): Promise<Receipt> {
  const statement: DecisionStatement = {
    v: 1,
    decision,
    challenge: await documentDigest(challenge),
    sub: subject,
    kid: signer.kid,
    decidedAt: Math.floor(nowMs / 1000),
  };
  const sig = await sign(signer, signingInput("decision", statement));
  return { v: 1, challenge, statement, sig, kid: signer.kid };
}

/**
 * Proof of possession for `hitl pair`: the key signs the pairing request's digest, its own id,
 * and the digest of the confirmation code the window shows next (bound to the request digest),
 * which the human then types into the terminal.
 */
export async function signPairing(
  signer: Signer,
  request: PairingRequest,
  confirmationCode: string,
  nowMs: number,
): Promise<PairingResponse> {
  const requestDigest = await documentDigest(request);
  const statement: PairingStatement = {
    v: 1,
    request: requestDigest,
    sub: request.subject,
    kid: signer.kid,
    publicKey: signer.publicKeyRaw,
    pairedAt: Math.floor(nowMs / 1000),
    codeDigest: await documentDigest({ code: confirmationCode, request: requestDigest }),
  };
  return { statement, sig: await sign(signer, signingInput("pairing", statement)) };
}
