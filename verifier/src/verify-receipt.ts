import type { KeyDirectory, VerifiedApproval, VerifyExpectations, VerifyOptions } from "./contracts.js";
import { challengeDigest, parsedChallengeDigest, parsedIntentDigest } from "./digests.js";
import { importPublicKey, type StrictPublicKey, verifyStrict, verifyStrictAsync } from "./lib/ed25519-strict.js";
import { checkExpectations, normalizeVerifyOptions } from "./lib/options.js";
import { decodeBase64url } from "./protocol/base64url.js";
import { HitlError } from "./protocol/errors.js";
import { markedPlainText } from "./protocol/marked-plain-text.js";
import { signingInput } from "./protocol/signing-input.js";
import type { ApproverKey, Challenge, Receipt } from "./protocol/types.js";
import { type ParseNotes, parseReceipt, parseReceiptBytes, parseReceiptJson } from "./protocol/validate.js";

/**
 * Verify a decision receipt. The order is fixed and cheap checks never replace expensive ones:
 * shape and sizes -> key lookup -> Ed25519 (strict) -> statement <-> challenge -> approve ->
 * audience -> time window -> caller's challenge and intent -> nonce, consumed last so that a
 * forged or misdirected receipt can never burn a genuine nonce. A signed deny throws ERR_DENIED
 * (after the signature check), so callers can tell "the human said no" from a forgery.
 */
export async function verifyReceipt(input: unknown, expectations: VerifyExpectations, options: VerifyOptions): Promise<VerifiedApproval> {
  const opts = normalizeVerifyOptions(options);
  checkExpectations(expectations);

  // The parser reports whether JSON.stringify of what it built is already JCS (no order walk).
  const notes: ParseNotes = { stringifyIsCanonical: true };
  const receipt =
    typeof input === "string"
      ? parseReceiptJson(input, notes)
      : input instanceof Uint8Array
        ? parseReceiptBytes(input, notes)
        : parseReceipt(input, "receipt", notes);
  const { challenge, statement } = receipt;

  let approver: ApproverKey | undefined;
  try {
    approver = await opts.keys.lookup(statement.sub, receipt.kid);
  } catch (error) {
    throw asUnavailable(error, "ERR_KEY_DIRECTORY_UNAVAILABLE", "The key directory could not be read");
  }
  if (approver === undefined) throw await missingKey(opts.keys, statement.sub, receipt.kid);
  const key = checkedKey(approver, receipt.kid);

  const signature = decodeBase64url(receipt.sig, "receipt.sig");
  const signed = signingInput("decision", statement, true); // fixed members, all validated
  const digestOfChallenge = () => parsedChallengeDigest(challenge, notes.stringifyIsCanonical);
  let digest: string | undefined;
  let valid: boolean;
  if (opts.threadpool) {
    const verifying = verifyStrictAsync(key, signed, signature);
    // Hashed while the pool verifies (and only compared after the signature check): the lane
    // then goes from "signature valid" straight on to the nonce.
    try {
      digest = digestOfChallenge();
    } catch (error) {
      verifying.catch(() => undefined); // its outcome no longer matters; never an unhandled rejection
      throw error;
    }
    valid = await verifying;
  } else {
    valid = verifyStrict(key, signed, signature);
  }
  if (!valid) {
    throw new HitlError(
      "ERR_BAD_SIGNATURE",
      `The receipt's signature does not verify with ${statement.sub}'s registered key; it was altered or forged. Do not proceed; request a new approval.`,
    );
  }

  digest ??= digestOfChallenge();
  if (statement.challenge !== digest) {
    throw new HitlError(
      "ERR_CHALLENGE_MISMATCH",
      "The signed decision is about a different challenge than the one in the receipt; the receipt was altered. Request a new approval.",
    );
  }

  if (statement.decision !== "approve") {
    throw new HitlError("ERR_DENIED", `${statement.sub} denied this action ("${shortSummary(receipt)}"). Do not proceed.`);
  }

  if (challenge.aud !== expectations.aud) {
    throw new HitlError(
      "ERR_AUDIENCE_MISMATCH",
      `The approval is for audience "${challenge.aud}", not "${expectations.aud}"; it cannot be used here. Request an approval for this audience.`,
    );
  }

  checkTimeWindow(receipt, opts.clock(), opts.skewSeconds);

  if (expectations.challenge !== undefined && challengeDigest(expectations.challenge) !== digest) {
    throw new HitlError(
      "ERR_CHALLENGE_MISMATCH",
      "The receipt answers a different challenge than the one you issued; it belongs to another request. Use the receipt returned for your own challenge.",
    );
  }
  checkIntent(challenge, expectations, notes.stringifyIsCanonical);

  if (opts.nonces === "offline-audit") return { receipt, approver, nonceConsumed: false };
  try {
    await opts.nonces.consume(challenge.nonce, challenge.exp, challenge.iat, opts.skewSeconds);
  } catch (error) {
    throw asUnavailable(error, "ERR_NONCE_STORE_UNAVAILABLE", "The nonce store failed");
  }
  return { receipt, approver, nonceConsumed: true };
}

async function missingKey(keys: KeyDirectory, sub: string, kid: string): Promise<HitlError> {
  if (keys.explainMissing !== undefined) return keys.explainMissing(sub, kid);
  return new HitlError(
    "ERR_UNKNOWN_KEY",
    `No key ${kid} is registered for approver "${sub}". Pair this approver's browser with \`hitl pair\`.`,
  );
}

function checkedKey(approver: ApproverKey, kid: string): StrictPublicKey {
  const key = importPublicKey(approver.publicKey);
  if (key.kid !== kid || approver.kid !== kid) {
    throw new HitlError(
      "ERR_KEY_ID_MISMATCH",
      `The key directory returned a key whose thumbprint is not ${kid}; the directory is inconsistent. Re-pair the approver with \`hitl pair\`.`,
    );
  }
  return key;
}

/**
 * The intent the caller expects: the one it names; else the intent of the challenge it made;
 * else the fallback the protocol defines for "no structured call", digest(action). A verifier
 * that names no call therefore accepts only approvals of the action itself, never an approval
 * that was bound to a structured call it does not know.
 */
function checkIntent(challenge: Challenge, expectations: VerifyExpectations, stringifyIsCanonical: boolean): void {
  const named = expectations.intent ?? expectations.challenge?.intent;
  if (named !== undefined) {
    if (challenge.intent === named) return;
    throw new HitlError(
      "ERR_INTENT_MISMATCH",
      "The approval was given for a different call (intent digest differs); do not run this call. Request an approval for the exact call.",
    );
  }
  if (challenge.intent === parsedIntentDigest(challenge.action, stringifyIsCanonical)) return;
  throw new HitlError(
    "ERR_INTENT_MISMATCH",
    "The approval is bound to a structured call (its intent is not the digest of the action), and no expected intent was given; pass the intent digest of the call you will run (expectations.intent, hitl verify --intent).",
  );
}

function checkTimeWindow(receipt: Receipt, nowMs: number, skew: number): void {
  const { iat, exp } = receipt.challenge;
  const now = nowMs / 1000;
  if (now > exp + skew) {
    throw new HitlError("ERR_EXPIRED", `The approval expired at ${iso(exp)} (now ${iso(now)}). Request a new approval.`);
  }
  if (now < iat - skew) {
    throw new HitlError(
      "ERR_NOT_YET_VALID",
      `The challenge is issued for ${iso(iat)}, later than now (${iso(now)}). Check the clocks of the requester and this machine.`,
    );
  }
  const decidedAt = receipt.statement.decidedAt;
  if (decidedAt < iat - skew || decidedAt > exp + skew) {
    throw new HitlError(
      "ERR_DECIDED_OUTSIDE_WINDOW",
      `The decision is dated ${iso(decidedAt)}, outside the challenge's window ${iso(iat)} .. ${iso(exp)}. Check the approver's clock and request a new approval.`,
    );
  }
  // A decision cannot have been made after the moment it is checked.
  if (decidedAt > now + skew) {
    throw new HitlError(
      "ERR_DECIDED_OUTSIDE_WINDOW",
      `The decision is dated ${iso(decidedAt)}, later than now (${iso(now)}). Check the clocks of the approver and this machine and request a new approval.`,
    );
  }
}

/** Fail closed: a HitlError passes through, anything else becomes an "unavailable" error. */
function asUnavailable(error: unknown, code: "ERR_KEY_DIRECTORY_UNAVAILABLE" | "ERR_NONCE_STORE_UNAVAILABLE", what: string): HitlError {
  if (error instanceof HitlError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new HitlError(code, `${what} (${reason}); the approval is refused. Fix the store and retry.`, { cause: error });
}

function iso(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString();
}

/**
 * This text ends up on terminals: cut first (by code point, so a marker is never cut in two),
 * then marked as the window marks it (protocol/mark-text.ts), on one line.
 */
function shortSummary(receipt: Receipt): string {
  const characters = Array.from(receipt.challenge.action.summary.replace(/\s+/g, " ").trim());
  const cut = characters.length > 80 ? `${characters.slice(0, 79).join("")}…` : characters.join("");
  return markedPlainText(cut);
}
