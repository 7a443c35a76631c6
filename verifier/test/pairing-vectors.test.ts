import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { confirmPairingCode } from "../src/confirm-pairing-code.js";
import { pairingRequestDigest } from "../src/digests.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import { PAIRING_CONFIRMATION_ALPHABET, PAIRING_CONFIRMATION_LENGTH } from "../src/protocol/constants.js";
import { canonicalize } from "../src/protocol/jcs.js";
import { signingInput } from "../src/protocol/signing-input.js";
import type { ApproverRecord, PairingRequest, PairingStatement } from "../src/protocol/types.js";
import { verifyPairing } from "../src/verify-pairing.js";
import { ed25519Verdicts, VECTORS_DIR } from "./helpers/vectors.js";

interface PairingVector {
  name: string;
  description: string;
  request: PairingRequest;
  requestJcs: string;
  requestDigest: string;
  windowCode: string;
  codeDigestInputJcs: string;
  statement: PairingStatement;
  statementJcs: string;
  signingInputHex: string;
  signedBytesHex?: string;
  signature: string;
  ed25519: { publicKeyHex: string; signatureHex: string; nodeCryptoRaw: boolean; nobleStrict: boolean };
  response: unknown;
  typed: string;
  expect: { valid: true; approver: ApproverRecord } | { valid: false; code: string; step: "verifyPairing" | "confirmPairingCode" };
}

const file = JSON.parse(readFileSync(join(VECTORS_DIR, "pairings.json"), "utf8")) as {
  verifyAt: number;
  skewSeconds: number;
  confirmation: { alphabet: string; length: number };
  vectors: PairingVector[];
};
const clock = () => file.verifyAt * 1000;
const sha256b64url = (text: string) => encodeBase64url(createHash("sha256").update(text, "utf8").digest());

it("the file states the code alphabet and length this implementation uses", () => {
  expect(file.confirmation).toEqual({ alphabet: PAIRING_CONFIRMATION_ALPHABET, length: PAIRING_CONFIRMATION_LENGTH });
  expect(file.vectors.length).toBeGreaterThanOrEqual(14);
});

describe.each(file.vectors)("pairing vector $name", (vector) => {
  it("bytes: request JCS and digest, code digest input, statement JCS and signing input are reproduced exactly", () => {
    expect(canonicalize(vector.request)).toBe(vector.requestJcs);
    expect(pairingRequestDigest(vector.request)).toBe(vector.requestDigest);
    expect(sha256b64url(vector.requestJcs)).toBe(vector.requestDigest);
    expect(canonicalize({ code: vector.windowCode, request: vector.requestDigest })).toBe(vector.codeDigestInputJcs);
    expect(canonicalize(vector.statement)).toBe(vector.statementJcs);
    expect(Buffer.from(signingInput("pairing", vector.statement)).toString("hex")).toBe(vector.signingInputHex);
    if (!["code-bound-to-other-request", "no-code-digest"].includes(vector.name)) {
      expect(vector.statement.codeDigest).toBe(sha256b64url(vector.codeDigestInputJcs));
    }
  });

  it("Ed25519: raw node:crypto and @noble/ed25519 (zip215: false) give the recorded verdicts", () => {
    expect(ed25519Verdicts(vector)).toEqual({ nodeCryptoRaw: vector.ed25519.nodeCryptoRaw, nobleStrict: vector.ed25519.nobleStrict });
  });

  it(`verifyPairing + confirmPairingCode: ${vector.expect.valid ? "paired" : `${vector.expect.code} at ${vector.expect.step}`}`, async () => {
    const run = async () => confirmPairingCode(await verifyPairing(vector.response, vector.request, clock), vector.typed, clock);
    if (vector.expect.valid) {
      await expect(run()).resolves.toEqual(vector.expect.approver);
      return;
    }
    const { code, step } = vector.expect;
    if (step === "verifyPairing") {
      await expect(verifyPairing(vector.response, vector.request, clock)).rejects.toMatchObject({ name: "HitlError", code });
    } else {
      const awaiting = await verifyPairing(vector.response, vector.request, clock);
      expect(() => confirmPairingCode(awaiting, vector.typed, clock)).toThrow(expect.objectContaining({ name: "HitlError", code }));
    }
    await expect(run()).rejects.toMatchObject({ code, message: expect.any(String) });
  });
});
