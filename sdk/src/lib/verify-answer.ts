import {
  type ApproverKey,
  type Challenge,
  challengeDigest,
  HitlError,
  type KeyDirectory,
  type NonceStore,
  verifyReceipt,
} from "@hitl/verifier";
import { parseReceipt } from "@hitl/verifier/protocol";
import { openLocalKeys } from "./open-stores.js";
import { type ApprovalOutcome, failureOf, toApprover } from "./outcome.js";

/*
 * Everything requestApproval needs from the verifier, in one module it loads lazily: with the
 * approvers file looking usable, this is imported and the stores opened while the human reads
 * the approval window, not before the challenge is sent.
 */

export interface VerificationStores {
  keys: KeyDirectory;
  /** Opened and probed by requestApproval before asking; it also closes it. */
  nonces: NonceStore;
}

/** The approvers file in full (every record checked), with the replay store already opened. */
export async function openStores(
  approversFile: string,
  given: { keys?: KeyDirectory | undefined; nonces: NonceStore },
): Promise<VerificationStores> {
  const keys = given.keys ?? (await openLocalKeys(approversFile));
  return { keys, nonces: given.nonces };
}

/**
 * Verify the host's answer against the challenge this process made: signature, challenge,
 * audience, time, intent, and the nonce consumed once. Only then is it an approval.
 */
export async function verifyAnswer(
  receipt: unknown,
  challenge: Challenge,
  stores: VerificationStores,
  clock: () => number,
): Promise<ApprovalOutcome> {
  const { keys, nonces } = stores;
  try {
    const verified = await verifyReceipt(receipt, { aud: challenge.aud, challenge, intent: challenge.intent }, { keys, nonces, clock });
    return { decision: "approve", challenge, approver: toApprover(verified.approver), receipt: verified.receipt };
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    if (error.code === "ERR_DENIED") return signedDenial(receipt, challenge, keys, error);
    return { ...failureOf(error, "local"), challenge };
  }
}

/**
 * The verifier reports a valid denial before it compares the receipt with the challenge we
 * made (a denial needs no audience or nonce check), so make sure it denies *this* request.
 */
async function signedDenial(receiptValue: unknown, challenge: Challenge, keys: KeyDirectory, denial: HitlError): Promise<ApprovalOutcome> {
  const receipt = parseReceipt(receiptValue);
  const expected = challengeDigest(challenge);
  if (
    receipt.statement.decision !== "deny" ||
    challengeDigest(receipt.challenge) !== expected ||
    receipt.statement.challenge !== expected
  ) {
    return {
      decision: "error",
      code: "ERR_CHALLENGE_MISMATCH",
      message: "The signing host returned a denial for a different request than the one sent; treating it as an error. Run 'hitl doctor'.",
      challenge,
    };
  }
  const approver: ApproverKey | undefined = await keys.lookup(receipt.statement.sub, receipt.kid);
  if (approver === undefined) throw new HitlError("ERR_INTERNAL", "The key that signed a verified denial vanished from the key directory.");
  return { decision: "deny", code: "ERR_DENIED", message: denial.message, challenge, approver: toApprover(approver), receipt };
}
