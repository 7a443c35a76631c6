import { createHash, generateKeyPairSync, sign } from "node:crypto";
import * as ed from "@noble/ed25519";
import { describe, expect, it } from "vitest";
import { keyIdFromPublicKey } from "../src/digests.js";
import {
  assertCanonicalSignature,
  assertStrongPublicKey,
  importPublicKey,
  isCanonicalScalar,
  verifyStrict,
  verifyStrictAsync,
  weakPublicKeyReason,
} from "../src/lib/ed25519-strict.js";
import { makeApprover } from "../src/testing/index.js";

ed.hashes.sha512 = (message: Uint8Array) => new Uint8Array(createHash("sha512").update(message).digest());

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const toLE = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** The 8 points of order dividing 8, found independently: [L]Q for points Q decoded from hashes. */
function torsionPoints(): Uint8Array[] {
  const found = new Map<string, Uint8Array>();
  for (let i = 0; found.size < 8 && i < 500; i++) {
    try {
      const q = ed.Point.fromBytes(new Uint8Array(createHash("sha256").update(`torsion ${i}`).digest()));
      const t = q.multiply(L - 1n, false).add(q);
      const bytes = t.toBytes();
      found.set(hex(bytes), bytes);
    } catch {
      // not a point: try the next hash
    }
  }
  return [...found.values()];
}

describe("weak public keys", () => {
  const torsion = torsionPoints();

  it("finds the 8 torsion points independently", () => {
    expect(torsion).toHaveLength(8);
    for (const point of torsion) expect(ed.Point.fromBytes(point).isSmallOrder()).toBe(true);
  });

  it("refuses all 8 small-order points, with and without the sign bit", () => {
    for (const point of torsion) {
      const flipped = Uint8Array.from(point);
      flipped[31] = flipped[31]! ^ 0x80;
      expect(weakPublicKeyReason(point), hex(point)).toBe("small-order");
      expect(weakPublicKeyReason(flipped), hex(flipped)).toBe("small-order");
    }
  });

  it("refuses every non-canonical encoding (y >= p), both sign bits, including y = p and p + 1 (small order)", () => {
    for (let y = P; y < 2n ** 255n; y++) {
      const bytes = toLE(y);
      expect(weakPublicKeyReason(bytes)).toBe("non-canonical");
      bytes[31] = bytes[31]! | 0x80;
      expect(weakPublicKeyReason(bytes)).toBe("non-canonical");
    }
  });

  it("refuses a key of the wrong length", () => {
    expect(weakPublicKeyReason(new Uint8Array(31))).toBe("length");
    expect(() => assertStrongPublicKey(new Uint8Array(33))).toThrow(
      expect.objectContaining({
        code: "ERR_WEAK_PUBLIC_KEY",
        message: "The public key is not 32 bytes long; it is refused. Pair the approver again with `hitl pair`.",
      }),
    );
  });

  it("accepts real keys, and says why it refuses a weak one", () => {
    for (let i = 0; i < 50; i++) expect(weakPublicKeyReason(makeApprover().publicKey)).toBeUndefined();
    expect(() => assertStrongPublicKey(toLE(1n), "The key")).toThrow(
      expect.objectContaining({
        code: "ERR_WEAK_PUBLIC_KEY",
        message:
          "The key is a small-order point, which would verify signatures for many messages; it is refused. Pair the approver again with `hitl pair`.",
      }),
    );
    expect(() => importPublicKey(toLE(P + 2n))).toThrow(
      expect.objectContaining({
        code: "ERR_WEAK_PUBLIC_KEY",
        message: "The public key is not canonically encoded (y >= p); it is refused. Pair the approver again with `hitl pair`.",
      }),
    );
  });
});

describe("canonical S", () => {
  const sigWith = (s: bigint) => {
    const sig = new Uint8Array(64);
    sig.set(toLE(s), 32);
    return sig;
  };

  it.each([
    ["0", 0n, true],
    ["L - 1", L - 1n, true],
    ["2^252 (top byte 0x10)", 2n ** 252n, true],
    ["L", L, false],
    ["L + 1", L + 1n, false],
    ["2^253", 2n ** 253n, false],
    ["2^256 - 1", 2n ** 256n - 1n, false],
  ])("S = %s -> canonical %s", (_name, s, canonical) => {
    expect(isCanonicalScalar(sigWith(s))).toBe(canonical);
  });

  it("refuses a signature that is not 64 bytes", () => {
    expect(isCanonicalScalar(new Uint8Array(63))).toBe(false);
    expect(() => assertCanonicalSignature(new Uint8Array(65))).toThrow(
      expect.objectContaining({
        code: "ERR_NONCANONICAL_SIGNATURE",
        message: "The signature is not in canonical form (S >= L, or not 64 bytes); it was altered. Request a new approval.",
      }),
    );
  });
});

describe("verifyStrict / verifyStrictAsync over node:crypto", () => {
  const approver = makeApprover();
  const message = new TextEncoder().encode("hitl/decision/v1\u0000{}");
  const signature = new Uint8Array(sign(null, message, approver.privateKey));

  it("verifies a genuine signature on both paths and rejects a modified message", async () => {
    expect(verifyStrict(approver.publicKey, message, signature)).toBe(true);
    await expect(verifyStrictAsync(approver.publicKey, message, signature)).resolves.toBe(true);
    const other = Uint8Array.from(message);
    other[0] = other[0]! ^ 1;
    expect(verifyStrict(approver.publicKey, other, signature)).toBe(false);
    await expect(verifyStrictAsync(approver.publicKey, other, signature)).resolves.toBe(false);
  });

  it("rejects S + L before node:crypto on both paths", async () => {
    const s = BigInt(`0x${Buffer.from(signature.subarray(32)).reverse().toString("hex")}`) + L;
    const malleable = Uint8Array.from(signature);
    malleable.set(toLE(s), 32);
    expect(() => verifyStrict(approver.publicKey, message, malleable)).toThrow(
      expect.objectContaining({ code: "ERR_NONCANONICAL_SIGNATURE" }),
    );
    await expect(verifyStrictAsync(approver.publicKey, message, malleable)).rejects.toMatchObject({ code: "ERR_NONCANONICAL_SIGNATURE" });
  });

  it("rejects the identity-key forgery that node:crypto alone would accept", async () => {
    const identity = toLE(1n);
    const s = 42n;
    const forged = new Uint8Array(64);
    forged.set(ed.Point.BASE.multiply(s).toBytes(), 0);
    forged.set(toLE(s), 32);
    expect(() => verifyStrict(identity, message, forged)).toThrow(expect.objectContaining({ code: "ERR_WEAK_PUBLIC_KEY" }));
    await expect(verifyStrictAsync(identity, message, forged)).rejects.toMatchObject({ code: "ERR_WEAK_PUBLIC_KEY" });
  });

  it("caches one KeyObject per key, by identity and by bytes, with the RFC 7638 kid", () => {
    const first = importPublicKey(approver.publicKey);
    expect(importPublicKey(approver.publicKey)).toBe(first);
    expect(importPublicKey(Uint8Array.from(approver.publicKey))).toBe(first);
    expect(first.kid).toBe(keyIdFromPublicKey(approver.publicKey));
    expect(first.keyObject.asymmetricKeyType).toBe("ed25519");
  });

  it("never serves a stale key when a caller reuses one array for another key", () => {
    const other = makeApprover();
    const reused = Uint8Array.from(approver.publicKey);
    expect(importPublicKey(reused).kid).toBe(approver.kid);
    reused.set(other.publicKey);
    expect(importPublicKey(reused).kid).toBe(other.kid);
    expect(verifyStrict(reused, message, signature)).toBe(false);
  });

  it("agrees with a key imported the usual way", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const raw = new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(12));
    const sig = new Uint8Array(sign(null, message, privateKey));
    expect(verifyStrict(raw, message, sig)).toBe(true);
  });
});
