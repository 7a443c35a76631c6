import {
  type Challenge,
  type Decision,
  type DecisionStatement,
  encodeBase64url,
  type PairingRequest,
  type PairingResponse,
  type PairingStatement,
  PROTOCOL_VERSION,
  type Receipt,
  signingInput,
} from "@hitl/verifier/protocol";
import { documentDigest } from "../lib/digest.js";

/**
 * What signing needs from a key: its id, its public half, and a way to sign bytes with the
 * non-extractable private half (held by this worker, or by the offscreen document for a session
 * key); the private key itself is never handed over.
 */
export interface Signer {
  kid: string;
  publicKeyRaw: string;
  /** Ed25519 signature over `bytes`, base64url. */
  sign(bytes: Uint8Array): Promise<string>;
}

/** A Signer over a CryptoKey this context holds. */
export function cryptoKeySigner(privateKey: CryptoKey): Signer["sign"] {
  return async (bytes) =>
    encodeBase64url(new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, bytes as Uint8Array<ArrayBuffer>)));
}

function sign(signer: Signer, bytes: Uint8Array): Promise<string> {
  return signer.sign(bytes);
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
    v: PROTOCOL_VERSION,
    decision,
    challenge: await documentDigest(challenge),
    sub: subject,
    kid: signer.kid,
    decidedAt: Math.floor(nowMs / 1000),
  };
  const sig = await sign(signer, signingInput("decision", statement));
  return { v: PROTOCOL_VERSION, challenge, statement, sig, kid: signer.kid };
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
    v: PROTOCOL_VERSION,
    request: requestDigest,
    sub: request.subject,
    kid: signer.kid,
    publicKey: signer.publicKeyRaw,
    pairedAt: Math.floor(nowMs / 1000),
    codeDigest: await documentDigest({ code: confirmationCode, request: requestDigest }),
  };
  return { statement, sig: await sign(signer, signingInput("pairing", statement)) };
}
