import { pairingRequestDigest } from "./digests.js";
import { importPublicKey, verifyStrict } from "./lib/ed25519-strict.js";
import { DEFAULT_SKEW_SECONDS } from "./lib/options.js";
import { decodeBase64url } from "./protocol/base64url.js";
import { HitlError } from "./protocol/errors.js";
import { signingInput } from "./protocol/signing-input.js";
import type { PairingRequest, PairingStatement } from "./protocol/types.js";
import { parsePairingRequest, parsePairingResponse } from "./protocol/validate.js";

/**
 * A pairing answer whose signature, key and binding checked out, still waiting for the human to
 * type the code the real pairing window showed (confirmPairingCode). Not an approver yet: any
 * key can sign its own statement, so only the code proves the answer came from the window the
 * human saw.
 */
export interface PairingAwaitingCode {
  readonly request: PairingRequest;
  readonly statement: PairingStatement;
}

/**
 * Checks a pairing response against the request `hitl pair` sent, in the same order as
 * receipts: shape -> key (thumbprint, not weak) -> signature with the pairing prefix (proof
 * that the browser holds the private key) -> bound to this request -> subject -> time.
 */
export async function verifyPairing(
  response: unknown,
  request: PairingRequest,
  clock: () => number = Date.now,
): Promise<PairingAwaitingCode> {
  const ownRequest = parsePairingRequest(request, "request");
  const { statement, sig } = parsePairingResponse(response);

  const publicKey = decodeBase64url(statement.publicKey, "pairing.statement.publicKey");
  const key = importPublicKey(publicKey);
  if (key.kid !== statement.kid) {
    throw new HitlError(
      "ERR_KEY_ID_MISMATCH",
      "The pairing names a key id that is not the thumbprint of its public key; the response was altered. Run `hitl pair` again.",
    );
  }

  if (!verifyStrict(key, signingInput("pairing", statement), decodeBase64url(sig, "pairing.sig"))) {
    throw new HitlError(
      "ERR_BAD_SIGNATURE",
      "The pairing signature does not verify with the key it carries, so possession of the key is not proven. Run `hitl pair` again.",
    );
  }

  if (statement.request !== pairingRequestDigest(ownRequest)) {
    throw new HitlError(
      "ERR_CHALLENGE_MISMATCH",
      "The pairing answers a different pairing request than the one this terminal sent. Run `hitl pair` again and confirm the code shown here.",
    );
  }

  if (statement.sub !== ownRequest.subject) {
    throw new HitlError(
      "ERR_PAIRING_REJECTED",
      `The browser paired as "${statement.sub}", but this terminal proposed "${ownRequest.subject}". Run \`hitl pair\` again and accept the proposed name.`,
    );
  }

  assertPairingInTime(ownRequest, clock);
  if (statement.pairedAt < ownRequest.iat - DEFAULT_SKEW_SECONDS || statement.pairedAt > ownRequest.exp + DEFAULT_SKEW_SECONDS) {
    throw new HitlError(
      "ERR_DECIDED_OUTSIDE_WINDOW",
      "The pairing is dated outside the request's time window. Check the clocks of this machine and the browser, then run `hitl pair` again.",
    );
  }

  return { request: ownRequest, statement };
}

/** The request's lifetime bounds the whole pairing, typing the code included. */
export function assertPairingInTime(request: PairingRequest, clock: () => number): void {
  if (clock() / 1000 > request.exp + DEFAULT_SKEW_SECONDS) {
    throw new HitlError("ERR_EXPIRED", "The pairing request expired before it was confirmed. Run `hitl pair` again and confirm sooner.");
  }
}
