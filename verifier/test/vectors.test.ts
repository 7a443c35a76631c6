import { createHash, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ed from "@noble/ed25519";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeDigest } from "../src/digests.js";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { encodeBase64url } from "../src/protocol/base64url.js";
import { canonicalize } from "../src/protocol/jcs.js";
import { signingInput } from "../src/protocol/signing-input.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { tempDir } from "./helpers/temp-dir.js";
import { ed25519Verdicts, loadVectors, receiptInput, type Vector, vectorKeyDirectory, writeApproversFile } from "./helpers/vectors.js";

ed.hashes.sha512 = (message: Uint8Array) => new Uint8Array(createHash("sha512").update(message).digest());

const file = loadVectors();
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

let directory: LocalKeyDirectory;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const dir = await tempDir();
  cleanup = dir.remove;
  directory = await LocalKeyDirectory.open(writeApproversFile(dir.path, file));
});
afterAll(() => cleanup());

function verifyVector(vector: Vector, signatureCheck: "sync" | "threadpool" = "sync") {
  return verifyReceipt(receiptInput(vector), vector.expectations, {
    keys: vector.keyDirectory !== undefined ? vectorKeyDirectory(vector.keyDirectory) : directory,
    nonces: "offline-audit",
    clock: () => file.verifyAt * 1000,
    skewSeconds: file.skewSeconds,
    signatureCheck,
  });
}

describe("RFC 8032 section 7.1 sanity", () => {
  it.each(file.rfc8032)("$name: node:crypto and noble sign and verify exactly as the RFC says", (t) => {
    const privateKey = createPrivateKey({
      key: { kty: "OKP", crv: "Ed25519", d: encodeBase64url(fromHex(t.secretKey)), x: encodeBase64url(fromHex(t.publicKey)) },
      format: "jwk",
    });
    expect(Buffer.from(nodeSign(null, fromHex(t.message), privateKey)).toString("hex")).toBe(t.signature);
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, fromHex(t.publicKey)]), format: "der", type: "spki" });
    expect(nodeVerify(null, fromHex(t.message), publicKey, fromHex(t.signature))).toBe(true);
    expect(ed.verify(fromHex(t.signature), fromHex(t.message), fromHex(t.publicKey), { zip215: false })).toBe(true);
    expect(Buffer.from(ed.getPublicKey(fromHex(t.secretKey))).toString("hex")).toBe(t.publicKey);
  });
});

describe.each(file.vectors)("vector $name", (vector) => {
  it("bytes: JCS, challenge digest and signing input are reproduced exactly", () => {
    expect(canonicalize(vector.challenge)).toBe(vector.challengeJcs);
    expect(challengeDigest(vector.challenge)).toBe(vector.challengeDigest);
    expect(canonicalize(vector.statement)).toBe(vector.statementJcs);
    expect(Buffer.from(signingInput("decision", vector.statement)).toString("hex")).toBe(vector.signingInputHex);
  });

  it("Ed25519: raw node:crypto and @noble/ed25519 (zip215: false) give the recorded verdicts", () => {
    expect(ed25519Verdicts(vector)).toEqual({ nodeCryptoRaw: vector.ed25519.nodeCryptoRaw, nobleStrict: vector.ed25519.nobleStrict });
  });

  it(`verifyReceipt: ${vector.expect.valid ? "valid approval" : vector.expect.code}`, async () => {
    if (vector.expect.valid) {
      const verified = await verifyVector(vector);
      expect(verified.receipt.statement.decision).toBe("approve");
      expect(verified.approver.sub).toBe(vector.statement.sub);
      expect(verified.nonceConsumed).toBe(false);
      // Thread-pool verification agrees with the synchronous one.
      await expect(verifyVector(vector, "threadpool")).resolves.toMatchObject({ approver: { sub: vector.statement.sub } });
    } else {
      await expect(verifyVector(vector)).rejects.toMatchObject({
        name: "HitlError",
        code: vector.expect.code,
        message: expect.any(String),
      });
      await expect(verifyVector(vector, "threadpool")).rejects.toMatchObject({ code: vector.expect.code });
    }
  });

  if (vector.expect.valid) {
    it("hitl's verdict and noble's agree on this valid signature", () => {
      expect(vector.ed25519.nobleStrict).toBe(true);
      expect(vector.ed25519.nodeCryptoRaw).toBe(true);
    });
  }
});

describe("documented disagreements (see vectors/README.md)", () => {
  const byName = new Map(file.vectors.map((v) => [v.name, v]));
  it("small-order and non-canonical identity keys: OpenSSL accepts the forgery, noble strict and hitl reject", () => {
    for (const name of ["small-order-key", "non-canonical-key"]) {
      const v = byName.get(name)!;
      expect(v.ed25519).toMatchObject({ nodeCryptoRaw: true, nobleStrict: false });
      expect(v.expect).toMatchObject({ valid: false, code: "ERR_WEAK_PUBLIC_KEY" });
    }
  });
  it("mixed-order R: noble (cofactored equation) accepts, OpenSSL (cofactorless) and hitl reject", () => {
    const v = byName.get("mixed-order-r")!;
    expect(v.ed25519).toMatchObject({ nodeCryptoRaw: false, nobleStrict: true });
    expect(v.expect).toMatchObject({ valid: false, code: "ERR_BAD_SIGNATURE" });
  });
  it("every other vector: raw node:crypto and noble agree", () => {
    const others = file.vectors.filter((v) => !["small-order-key", "non-canonical-key", "mixed-order-r"].includes(v.name));
    expect(others.length).toBeGreaterThan(20);
    for (const v of others) expect(v.ed25519.nodeCryptoRaw, v.name).toBe(v.ed25519.nobleStrict);
  });
});

describe("approvers-file vectors: one bad record refuses the whole file", () => {
  it.each(file.approversFiles)("$name: $expect.code", async (vector) => {
    const dir = await tempDir();
    try {
      const path = join(dir.path, "approvers.json");
      writeFileSync(path, vector.text, { mode: 0o600 });
      if (vector.expect.valid) {
        const keys = await LocalKeyDirectory.open(path);
        expect(keys.approvers.length).toBe((JSON.parse(vector.text) as { approvers: unknown[] }).approvers.length);
      } else {
        await expect(LocalKeyDirectory.open(path)).rejects.toMatchObject({
          name: "HitlError",
          code: vector.expect.code,
          message: expect.stringContaining(path),
        });
      }
    } finally {
      await dir.remove();
    }
  });
});

describe("vector file format", () => {
  it("the weak-key vectors carry their own keyDirectory (lookup precedes the weak-key check); no other vector does", () => {
    const own = file.vectors.filter((v) => v.keyDirectory !== undefined).map((v) => v.name);
    expect(own).toEqual(["small-order-key", "non-canonical-key"]);
    for (const v of file.vectors) {
      if (v.keyDirectory === undefined) continue;
      expect(file.approvers.some((a) => a.kid === v.approver.kid)).toBe(false);
      expect(v.keyDirectory).toEqual([v.approver]);
    }
  });
});
