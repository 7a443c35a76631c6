import { createHash, createPublicKey, verify } from "node:crypto";
import { confirmPairingCode, HitlError, LocalKeyDirectory, verifyPairing, verifyReceipt } from "@hitl/verifier";
import {
  type Challenge,
  canonicalBytes,
  encodeBase64url,
  PAIRING_CONFIRMATION_ALPHABET,
  PAIRING_CONFIRMATION_PATTERN,
  parseChallenge,
  signingInput,
} from "@hitl/verifier/protocol";
import { makeChallenge, makePairingRequest } from "@hitl/verifier/testing";
import { describe, expect, test } from "vitest";
import { makeConfirmationCode } from "../src/background/confirmation-code.js";
import { cryptoKeySigner, type Signer, signDecision, signPairing } from "../src/background/signer.js";
import { keyIdOf } from "../src/lib/digest.js";

/*
 * The extension signs with WebCrypto over bytes made only by the protocol module; the verifier
 * checks with node:crypto. These tests run the extension's signer under Node's WebCrypto and
 * hand its output to the real verifier.
 */
async function makeSigner(): Promise<Signer & { raw: Uint8Array }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  expect(pair.privateKey.extractable).toBe(false);
  return { sign: cryptoKeySigner(pair.privateKey), kid: await keyIdOf(raw), publicKeyRaw: encodeBase64url(raw), raw };
}

const b64 = (bytes: Uint8Array) => encodeBase64url(bytes);
const sha256 = (bytes: Uint8Array) => b64(createHash("sha256").update(bytes).digest());

/** A valid challenge whose requester's cwd is not ASCII either. */
function challengeFor(summary: string, details?: Challenge["action"]["details"]): Challenge {
  const action = details === undefined ? { summary } : { summary, details };
  return makeChallenge({ action, requester: { tool: "unit-test", host: "localhost", pid: process.pid, cwd: "/tmp/ünïcødé" } });
}

function nodeVerifies(raw: Uint8Array, message: Uint8Array, sig: string): boolean {
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64(raw) }, format: "jwk" });
  return verify(null, message, key, Buffer.from(sig, "base64url"));
}

describe("signDecision", () => {
  test("kid is the RFC 7638 thumbprint node:crypto computes", async () => {
    const signer = await makeSigner();
    const jwk = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: signer.publicKeyRaw }, format: "jwk" }).export({ format: "jwk" });
    expect(signer.kid).toBe(sha256(Buffer.from(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`)));
  });

  test.each([
    ["ASCII", "delete /tmp/testfile", undefined],
    ["emoji, RTL, combining, newlines", "Lösche 🗑️ «файл»\nמחק את הקובץ\ne\u0301 👨‍👩‍👧", { path: "/tmp/📁", note: "العربية\ttab" }],
  ])("%s: node:crypto verifies the signature over the protocol's signing input", async (_name, summary, details) => {
    const signer = await makeSigner();
    const challenge = challengeFor(summary, details);
    const receipt = await signDecision(signer, challenge, "approve", "zoë", Date.now());
    expect(receipt.statement.challenge).toBe(sha256(canonicalBytes(challenge)));
    expect(receipt.kid).toBe(signer.kid);
    expect(nodeVerifies(signer.raw, signingInput("decision", receipt.statement), receipt.sig)).toBe(true);
    // Same signature under another statement kind's prefix must not verify.
    const asPairing = new Uint8Array([...Buffer.from("hitl/pairing/v1\u0000"), ...canonicalBytes(receipt.statement)]);
    expect(nodeVerifies(signer.raw, asPairing, receipt.sig)).toBe(false);
  });

  test("the real verifier accepts the approve receipt and reports a signed deny as ERR_DENIED", async () => {
    const signer = await makeSigner();
    const keys = LocalKeyDirectory.fromPublicKey("alice", signer.raw);
    const challenge = challengeFor("rm -rf ./build 🧹");
    const approve = await signDecision(signer, challenge, "approve", "alice", Date.now());
    const verified = await verifyReceipt(
      JSON.parse(JSON.stringify(approve)),
      { aud: "hitl-cli", challenge },
      { keys, nonces: "offline-audit" },
    );
    expect(verified.approver.sub).toBe("alice");

    const deny = await signDecision(signer, challenge, "deny", "alice", Date.now());
    await expect(verifyReceipt(deny, { aud: "hitl-cli", challenge }, { keys, nonces: "offline-audit" })).rejects.toMatchObject({
      code: "ERR_DENIED",
    });
  });

  test("a receipt is bound to its own challenge: it does not verify for another", async () => {
    const signer = await makeSigner();
    const keys = LocalKeyDirectory.fromPublicKey("alice", signer.raw);
    const shown = challengeFor("request A");
    const other = challengeFor("request B");
    const receipt = await signDecision(signer, shown, "approve", "alice", Date.now());
    const swapped = { ...receipt, challenge: other };
    const error = await verifyReceipt(swapped, { aud: "hitl-cli" }, { keys, nonces: "offline-audit" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HitlError);
    expect(error).toMatchObject({ code: expect.stringMatching(/^ERR_(CHALLENGE_MISMATCH|BAD_SIGNATURE)$/) });
  });

  test("details members named __proto__ and constructor are data end to end (native message JSON -> parser -> signature -> verifier)", async () => {
    const signer = await makeSigner();
    const keys = LocalKeyDirectory.fromPublicKey("alice", signer.raw);
    // JSON.parse (as the browser parses a native message) makes "__proto__" an own member.
    const details = JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}');
    const delivered = JSON.parse(JSON.stringify(challengeFor("odd member names", details)));
    const challenge = parseChallenge(delivered);
    expect(Object.keys(challenge.action.details as object)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(challenge.action.details)).toBe(Object.prototype);
    const receipt = await signDecision(signer, challenge, "approve", "alice", Date.now());
    expect(receipt.statement.challenge).toBe(sha256(canonicalBytes(delivered)));
    const text = JSON.stringify(receipt);
    expect(text).toContain('"__proto__":{"admin":true}');
    await expect(verifyReceipt(text, { aud: "hitl-cli", challenge: delivered }, { keys, nonces: "offline-audit" })).resolves.toMatchObject({
      approver: { sub: "alice" },
    });
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
  });

  test("decidedAt is whole seconds", async () => {
    const signer = await makeSigner();
    const receipt = await signDecision(signer, challengeFor("x"), "deny", "alice", 1_800_000_123_999);
    expect(receipt.statement.decidedAt).toBe(1_800_000_123);
  });
});

describe("signPairing", () => {
  test("proof of possession that the verifier accepts", async () => {
    const signer = await makeSigner();
    const request = makePairingRequest({ subject: "zoë 🧑🏽" });
    const pairing = await signPairing(signer, request, "KPTWRM", Date.now());
    const requestDigest = sha256(canonicalBytes(request));
    expect(pairing.statement).toMatchObject({
      v: 1,
      request: requestDigest,
      sub: "zoë 🧑🏽",
      kid: signer.kid,
      publicKey: signer.publicKeyRaw,
      codeDigest: sha256(Buffer.from(`{"code":"KPTWRM","request":"${requestDigest}"}`)),
    });
    expect(nodeVerifies(signer.raw, signingInput("pairing", pairing.statement), pairing.sig)).toBe(true);
    const awaiting = await verifyPairing(pairing, request);
    expect(() => confirmPairingCode(awaiting, "KPT-WRN")).toThrow(expect.objectContaining({ code: "ERR_PAIRING_CODE_MISMATCH" }));
    expect(confirmPairingCode(awaiting, "kpt-wrm")).toMatchObject({ sub: "zoë 🧑🏽", kid: signer.kid, publicKey: signer.publicKeyRaw });
  });
});

describe("makeConfirmationCode", () => {
  test("six letters of the consonant alphabet, from the CSPRNG", () => {
    const codes = new Set(Array.from({ length: 2000 }, () => makeConfirmationCode()));
    for (const code of codes) expect(code).toMatch(PAIRING_CONFIRMATION_PATTERN);
    // 2000 draws from 64,000,000 codes: a repeat has probability ~3%, more than a few means a broken source.
    expect(codes.size).toBeGreaterThan(1995);
  });

  test("unbiased: bytes 240..255 are drawn again instead of folding onto the first letters", () => {
    const script = [
      [255, 240, 0, 19, 20, 39, 239, 250, 1, 2, 3, 4, 5, 6, 7, 8],
      [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
    ];
    let call = 0;
    const code = makeConfirmationCode((bytes) => bytes.set(script[call++]!));
    // 255 and 240 rejected; 0 -> B, 19 -> Z, 20 -> B, 39 -> Z, 239 -> Z (239 % 20 = 19), 250 rejected, 1 -> C.
    expect(code).toBe("BZBZZC");
    expect(call).toBe(1);
  });

  test("all twenty letters occur, each about equally often", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) for (const letter of makeConfirmationCode()) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe(PAIRING_CONFIRMATION_ALPHABET);
    // 24,000 letters, 1,200 expected each; the bounds are ~6 standard deviations wide.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1000);
      expect(count).toBeLessThan(1400);
    }
  });
});
