import { HitlError, LocalKeyDirectory, verifyReceipt } from "@hitl/verifier";
import { decodeBase64url, encodeBase64url } from "@hitl/verifier/protocol";
import { makeChallenge } from "@hitl/verifier/testing";
import { describe, expect, test } from "vitest";
import { signDecision } from "../src/background/signer.js";
import { MemoryKey, SESSION_KEY_ENDED_MESSAGE } from "../src/lib/memory-key.js";
import { OFFSCREEN_TARGET, parseOffscreenRequest } from "../src/lib/offscreen-messages.js";

/*
 * The session key's holder (MemoryKey, run under Node's WebCrypto) and the strict parser of the
 * worker -> offscreen messages. The browser parts (offscreen document, event page) are exercised
 * in e2e/key-at-rest.test.ts and e2e/firefox-key-at-rest.test.ts.
 */
const challenge = () => makeChallenge({ action: { summary: "session key" } });

describe("MemoryKey", () => {
  test("signs receipts the real verifier accepts; a new key replaces the old one; after drop it fails closed", async () => {
    const key = new MemoryKey();
    expect(key.info()).toBeUndefined();
    const info = await key.create(1_800_000_000_999);
    expect(info.createdAt).toBe(1_800_000_000);
    expect(key.info()).toEqual(info);
    const signer = { kid: info.kid, publicKeyRaw: info.publicKeyRaw, sign: (bytes: Uint8Array) => key.sign(encodeBase64url(bytes)) };
    const keys = LocalKeyDirectory.fromPublicKey("alice", decodeBase64url(info.publicKeyRaw));
    const shown = challenge();
    const receipt = await signDecision(signer, shown, "approve", "alice", Date.now());
    expect((await verifyReceipt(receipt, { aud: "hitl-cli", challenge: shown }, { keys, nonces: "offline-audit" })).approver.sub).toBe(
      "alice",
    );

    const next = await key.create();
    expect(next.kid).not.toBe(info.kid);
    // The old key is gone: the same holder now signs with the new one, which the old registration refuses.
    const later = await signDecision(signer, shown, "approve", "alice", Date.now());
    await expect(verifyReceipt(later, { aud: "hitl-cli", challenge: shown }, { keys, nonces: "offline-audit" })).rejects.toMatchObject({
      code: "ERR_BAD_SIGNATURE",
    });

    key.drop();
    expect(key.info()).toBeUndefined();
    const error = await key.sign("AAAA").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HitlError);
    expect(error).toMatchObject({ code: "ERR_SESSION_KEY_ENDED", message: SESSION_KEY_ENDED_MESSAGE });
  });

  test("keeps nothing but the key's public facts in reach: no own enumerable state, nothing serializable", async () => {
    const key = new MemoryKey();
    await key.create();
    expect(Object.keys(key)).toEqual([]);
    expect(JSON.stringify(key)).toBe("{}");
    expect(structuredClone(key)).toEqual({});
  });
});

describe("worker -> offscreen messages", () => {
  test("exactly the three shapes parse", () => {
    expect(parseOffscreenRequest({ target: OFFSCREEN_TARGET, op: "info" })).toEqual({ target: OFFSCREEN_TARGET, op: "info" });
    expect(parseOffscreenRequest({ op: "create", target: OFFSCREEN_TARGET })).toEqual({ target: OFFSCREEN_TARGET, op: "create" });
    expect(parseOffscreenRequest({ target: OFFSCREEN_TARGET, op: "sign", bytes: "aGl0bA" })).toEqual({
      target: OFFSCREEN_TARGET,
      op: "sign",
      bytes: "aGl0bA",
    });
  });

  test("page messages, other targets, extra or missing members, inherited members and bad bytes do not", () => {
    const inherited = Object.create({ target: OFFSCREEN_TARGET, op: "info" }) as object;
    for (const value of [
      undefined,
      null,
      "info",
      { type: "popup.status" },
      { target: "other", op: "info" },
      { target: OFFSCREEN_TARGET, op: "export" },
      { target: OFFSCREEN_TARGET, op: "info", extra: 1 },
      { target: OFFSCREEN_TARGET, op: "sign" },
      { target: OFFSCREEN_TARGET, op: "sign", bytes: "not base64url!" },
      { target: OFFSCREEN_TARGET, op: "sign", bytes: "" },
      { target: OFFSCREEN_TARGET, op: "sign", bytes: "A".repeat(8193) },
      { target: OFFSCREEN_TARGET, op: "create", bytes: "AAAA" },
      inherited,
    ]) {
      expect(parseOffscreenRequest(value), JSON.stringify(value)).toBeUndefined();
    }
  });
});
