import { describe, expect, it } from "vitest";
import { confirmPairingCode } from "../src/confirm-pairing-code.js";
import { keyIdFromPublicKey } from "../src/digests.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import { makeApprover, makePairingRequest, nowSeconds, signPairing, WINDOW_CODE, wire } from "../src/testing/index.js";
import { verifyPairing } from "../src/verify-pairing.js";

const alice = makeApprover("alice");
const other = makeApprover("other");

function fails(run: Promise<unknown>, code: string, message: string | RegExp) {
  return expect(run).rejects.toMatchObject({
    name: "HitlError",
    code,
    message: typeof message === "string" ? message : expect.stringMatching(message),
  });
}

describe("verifyPairing", () => {
  it("returns the checked statement, still awaiting the code (not an approver record yet)", async () => {
    const request = makePairingRequest();
    const response = wire(signPairing(request, alice));
    const awaiting = await verifyPairing(response, request);
    expect(awaiting).toEqual({ request, statement: response.statement });
    expect(awaiting).not.toHaveProperty("publicKey");
  });

  it("ERR_MALFORMED: a response of the wrong shape, and a broken request", async () => {
    const request = makePairingRequest();
    await fails(verifyPairing({ statement: {} }, request), "ERR_MALFORMED", "pairing.sig is missing.");
    await fails(
      verifyPairing(signPairing(request, alice), { ...request, code: "x" }),
      "ERR_MALFORMED",
      'request.code must look like "123-456".',
    );
  });

  it("ERR_KEY_ID_MISMATCH: a kid that is not the key's thumbprint", async () => {
    const request = makePairingRequest();
    await fails(
      verifyPairing(signPairing(request, alice, { kid: other.kid }), request),
      "ERR_KEY_ID_MISMATCH",
      "The pairing names a key id that is not the thumbprint of its public key; the response was altered. Run `hitl pair` again.",
    );
  });

  it("ERR_WEAK_PUBLIC_KEY: a small-order key", async () => {
    const request = makePairingRequest();
    const identity = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0));
    const response = signPairing(request, alice, { publicKey: encodeBase64url(identity), kid: keyIdFromPublicKey(identity) });
    await fails(verifyPairing(response, request), "ERR_WEAK_PUBLIC_KEY", /^The public key is a small-order point/);
  });

  it("ERR_BAD_SIGNATURE: signed by another key, or with the decision prefix (no proof of possession)", async () => {
    const request = makePairingRequest();
    const message =
      "The pairing signature does not verify with the key it carries, so possession of the key is not proven. Run `hitl pair` again.";
    // Claims alice's key, signed by another key.
    const claimed = signPairing(request, other, { kid: alice.kid, publicKey: encodeBase64url(alice.publicKey) });
    await fails(verifyPairing(claimed, request), "ERR_BAD_SIGNATURE", message);
    await fails(verifyPairing(signPairing(request, alice, {}, "decision"), request), "ERR_BAD_SIGNATURE", message);
  });

  it("ERR_NONCANONICAL_SIGNATURE: S >= L", async () => {
    const request = makePairingRequest();
    const response = wire(signPairing(request, alice));
    const sig = Buffer.from(response.sig, "base64url");
    sig.fill(0xff, 32);
    await fails(
      verifyPairing({ ...response, sig: encodeBase64url(sig) }, request),
      "ERR_NONCANONICAL_SIGNATURE",
      "The signature is not in canonical form (S >= L, or not 64 bytes); it was altered. Request a new approval.",
    );
  });

  it("ERR_CHALLENGE_MISMATCH: the answer to another pairing request", async () => {
    const request = makePairingRequest();
    await fails(
      verifyPairing(signPairing(makePairingRequest(), alice), request),
      "ERR_CHALLENGE_MISMATCH",
      "The pairing answers a different pairing request than the one this terminal sent. Run `hitl pair` again and confirm the code shown here.",
    );
  });

  it("ERR_PAIRING_REJECTED: the browser adopted another name than the one proposed", async () => {
    const request = makePairingRequest({ subject: "alice" });
    await fails(
      verifyPairing(signPairing(request, alice, { sub: "root" }), request),
      "ERR_PAIRING_REJECTED",
      'The browser paired as "root", but this terminal proposed "alice". Run `hitl pair` again and accept the proposed name.',
    );
  });

  it("ERR_EXPIRED and ERR_DECIDED_OUTSIDE_WINDOW", async () => {
    const now = nowSeconds();
    const request = makePairingRequest({ iat: now - 10, exp: now + 50 });
    await fails(
      verifyPairing(signPairing(request, alice), request, () => (now + 81) * 1000),
      "ERR_EXPIRED",
      "The pairing request expired before it was confirmed. Run `hitl pair` again and confirm sooner.",
    );
    await fails(
      verifyPairing(signPairing(request, alice, { pairedAt: now + 500 }), request),
      "ERR_DECIDED_OUTSIDE_WINDOW",
      "The pairing is dated outside the request's time window. Check the clocks of this machine and the browser, then run `hitl pair` again.",
    );
  });
});

describe("confirmPairingCode", () => {
  const MISMATCH =
    "The code typed is not the one the pairing window signed. If no pairing window showed you a code after you clicked Pair, the answer did not come from your browser: another program may be answering on the signing host's port (run `hitl doctor`). Nothing was written.";

  async function awaiting(windowCode = WINDOW_CODE, request = makePairingRequest()) {
    return verifyPairing(wire(signPairing(request, alice, {}, "pairing", windowCode)), request);
  }

  it("the code the window showed, as typed by a person (any case, spaces, hyphen) -> the approver record", async () => {
    const pairing = await awaiting("KPTWRM");
    const record = { sub: "alice", kid: alice.kid, publicKey: encodeBase64url(alice.publicKey), pairedAt: pairing.request.iat + 3 };
    for (const typed of ["KPT-WRM", "kptwrm", "  kpt wrm\n", "Kpt-Wrm\r\n"]) expect(confirmPairingCode(pairing, typed)).toEqual(record);
  });

  it("ERR_PAIRING_CODE_MISMATCH: another valid-looking code (what a fake host signing its own key gets)", async () => {
    const pairing = await awaiting("KPTWRM");
    for (const typed of ["KPTWRL", "BBBBBB", "MKPTWR"]) {
      expect(() => confirmPairingCode(pairing, typed)).toThrow(
        expect.objectContaining({ code: "ERR_PAIRING_CODE_MISMATCH", message: MISMATCH }),
      );
    }
  });

  it("ERR_PAIRING_CODE_MISMATCH: the terminal's own code is refused with a hint, even if a host signed exactly it", async () => {
    const request = makePairingRequest({ code: "123-456" });
    // A squatter knows the terminal's code (it is in the request) and commits to it.
    const pairing = await awaiting("123456", request);
    for (const typed of ["123-456", "123456", " 123 456 "]) {
      expect(() => confirmPairingCode(pairing, typed)).toThrow(
        expect.objectContaining({
          code: "ERR_PAIRING_CODE_MISMATCH",
          message:
            "That is the code this terminal shows. Type the code the pairing window shows after you click Pair: six letters, like KPT-WRM.",
        }),
      );
    }
  });

  it("ERR_PAIRING_CODE_MISMATCH: input that cannot be a window code (vowels, digits, length, other scripts, empty, huge)", async () => {
    const pairing = await awaiting();
    for (const typed of ["", "KPTWR", "KPTWRMM", "AEIOUY", "KPTWR1", "ＫＰＴＷＲＭ", "KPT_WRM", "K".repeat(100_000)]) {
      expect(() => confirmPairingCode(pairing, typed)).toThrow(
        expect.objectContaining({
          code: "ERR_PAIRING_CODE_MISMATCH",
          message: "That is not a code from the pairing window: those are six letters, like KPT-WRM. Nothing was written.",
        }),
      );
    }
  });

  it("the code is bound to the request: the same code under another request digest does not match", async () => {
    const request = makePairingRequest();
    const signedForOther = signPairing(request, alice, { codeDigest: (await awaiting("KPTWRM")).statement.codeDigest });
    const pairing = await verifyPairing(wire(signedForOther), request);
    expect(() => confirmPairingCode(pairing, "KPTWRM")).toThrow(expect.objectContaining({ code: "ERR_PAIRING_CODE_MISMATCH" }));
  });

  it("ERR_EXPIRED: typed after the request's lifetime (+ skew)", async () => {
    const now = nowSeconds();
    const pairing = await awaiting(WINDOW_CODE, makePairingRequest({ iat: now - 10, exp: now + 50 }));
    expect(() => confirmPairingCode(pairing, WINDOW_CODE, () => (now + 81) * 1000)).toThrow(
      expect.objectContaining({
        code: "ERR_EXPIRED",
        message: "The pairing request expired before it was confirmed. Run `hitl pair` again and confirm sooner.",
      }),
    );
  });
});
