import { timingSafeEqual } from "node:crypto";
import { pairingCodeDigest } from "./digests.js";
import { decodeBase64url } from "./protocol/base64url.js";
import { HitlError } from "./protocol/errors.js";
import { readTypedPairingConfirmation } from "./protocol/pairing-confirmation.js";
import type { ApproverRecord } from "./protocol/types.js";
import { assertPairingInTime, type PairingAwaitingCode } from "./verify-pairing.js";

const FORMAT = "six letters, like KPT-WRM";

/**
 * The last step of pairing: `typed` is what the human typed from the pairing window, which showed
 * the code after the click on Pair. Its digest (bound to the request digest) must equal the
 * signed statement's `codeDigest`, compared in constant time. A host that answered without that
 * window (a squatter on the port, signing with its own key) cannot know the code, so whatever the
 * human types does not match. Returns the record to store in the approvers file.
 */
export function confirmPairingCode(pairing: PairingAwaitingCode, typed: string, clock: () => number = Date.now): ApproverRecord {
  const { request, statement } = pairing;
  assertPairingInTime(request, clock);
  const code = readTypedPairingConfirmation(typed);
  if (code === undefined) {
    const digitsOnly = typed.replace(/[\s-]/g, "");
    throw new HitlError(
      "ERR_PAIRING_CODE_MISMATCH",
      digitsOnly === request.code.replace("-", "")
        ? `That is the code this terminal shows. Type the code the pairing window shows after you click Pair: ${FORMAT}.`
        : `That is not a code from the pairing window: those are ${FORMAT}. Nothing was written.`,
    );
  }
  const expected = decodeBase64url(statement.codeDigest, "pairing.statement.codeDigest");
  const actual = decodeBase64url(pairingCodeDigest(code, statement.request), "codeDigest");
  if (!timingSafeEqual(expected, actual)) {
    throw new HitlError(
      "ERR_PAIRING_CODE_MISMATCH",
      "The code typed is not the one the pairing window signed. If no pairing window showed you a code after you clicked Pair, the answer did not come from your browser: another program may be answering on the signing host's port (run `hitl doctor`). Nothing was written.",
    );
  }
  return { sub: statement.sub, kid: statement.kid, publicKey: statement.publicKey, pairedAt: statement.pairedAt };
}
