import { describe, expect, it } from "vitest";
import { keyIdFromPublicKey } from "../src/digests.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import { verifyPairing } from "../src/verify-pairing.js";
import { makePairingRequest, newApprover, nowSeconds, signPairing, wire } from "./helpers/fixtures.js";

const alice = newApprover("alice");
const other = newApprover("other");

function fails(run: Promise<unknown>, code: string, message: string | RegExp) {
  return expect(run).rejects.toMatchObject({
    name: "HitlError",
    code,
    message: typeof message === "string" ? message : expect.stringMatching(message),
  });
}

describe("verifyPairing", () => {
  it("returns the approver record to store", async () => {
    const request = makePairingRequest();
    const response = wire(signPairing(request, alice));
    await expect(verifyPairing(response, request)).resolves.toEqual({
      sub: "alice",
      kid: alice.kid,
      publicKey: encodeBase64url(alice.publicKey),
      pairedAt: request.iat + 3,
    });
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
      "The pairing request expired before the answer arrived. Run `hitl pair` again and confirm sooner.",
    );
    await fails(
      verifyPairing(signPairing(request, alice, { pairedAt: now + 500 }), request),
      "ERR_DECIDED_OUTSIDE_WINDOW",
      "The pairing is dated outside the request's time window. Check the clocks of this machine and the browser, then run `hitl pair` again.",
    );
  });
});
