import { intentDigest, LIMITS, PAIRING_CODE_PATTERN } from "@hitl/verifier";
import { parseChallenge } from "@hitl/verifier/protocol";
import { describe, expect, it } from "vitest";
import { createChallenge, createPairingRequest, pairingCode } from "../src/index.js";

describe("createChallenge", () => {
  it("makes a valid challenge bound to the action: UUID v4, 32-byte nonce, seconds, intent = digest(action)", () => {
    const now = 1_763_760_000_123;
    const challenge = createChallenge({ action: { summary: "delete /tmp/testfile", details: { n: 1 } }, ttlSeconds: 30, clock: () => now });
    expect(parseChallenge(challenge)).toEqual(challenge);
    expect(challenge.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Buffer.from(challenge.nonce, "base64url")).toHaveLength(32);
    expect(challenge.iat).toBe(1_763_760_000);
    expect(challenge.exp).toBe(1_763_760_030);
    expect(challenge.aud).toBe("hitl-cli");
    expect(challenge.intent).toBe(intentDigest({ summary: "delete /tmp/testfile", details: { n: 1 } }));
    expect(challenge.requester).toEqual({ tool: "hitl-cli", host: expect.any(String), pid: process.pid, cwd: process.cwd() });
  });

  it("binds to a structured intent when given, and never repeats a nonce", () => {
    const intent = { fn: "rm", args: ["/tmp/testfile"] };
    const a = createChallenge({ action: { summary: "x" }, intent, aud: "deploy-bot" });
    const b = createChallenge({ action: { summary: "x" }, intent, aud: "deploy-bot" });
    expect(a.intent).toBe(intentDigest(intent));
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.id).not.toBe(b.id);
  });

  it("round-trips non-ASCII text exactly", () => {
    const summary = "löschen 🗑️ /tmp/ファイル — e\u0301 \u05e9\u05dc\u05d5\u05dd\nline 2";
    expect(createChallenge({ action: { summary } }).action.summary).toBe(summary);
  });

  it("refuses what a receiver would refuse, with the same code", () => {
    expect(() => createChallenge({ action: { summary: "x" }, ttlSeconds: LIMITS.maxLifetimeSeconds + 1 })).toThrow(
      expect.objectContaining({
        code: "ERR_USAGE",
        message: "The approval timeout must be a whole number of seconds from 1 to 3600, got 3601.",
      }),
    );
    expect(() => createChallenge({ action: { summary: "   " } })).toThrow(
      expect.objectContaining({
        code: "ERR_MALFORMED",
        message: "challenge.action.summary must say what will happen in at least one visible character (it is blank).",
      }),
    );
    expect(() => createChallenge({ action: { summary: "x".repeat(LIMITS.summaryBytes + 1) } })).toThrow(
      expect.objectContaining({ code: "ERR_TOO_LARGE" }),
    );
    expect(() => createChallenge({ action: { summary: "x" }, aud: "a\u202eb" })).toThrow(
      expect.objectContaining({
        code: "ERR_MALFORMED",
        message:
          "challenge.aud must not contain U+202E: one-line names refuse control, format, line-separator and invisible (default-ignorable) characters, which could make one name display as another.",
      }),
    );
  });
});

describe("pairing requests", () => {
  it("codes are six digits as 123-456, from the whole range", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = pairingCode();
      expect(code).toMatch(PAIRING_CODE_PATTERN);
      seen.add(code[0]!);
    }
    // Leading zeros are kept: all ten first digits appear in 2000 draws (chance of a miss < 1e-80).
    expect(seen.size).toBe(10);
  });

  it("proposes the given subject and audience", () => {
    const request = createPairingRequest({ subject: "alice", aud: "deploy-bot", ttlSeconds: 60, clock: () => 1_763_760_000_000 });
    expect(request).toMatchObject({ v: 1, subject: "alice", aud: "deploy-bot", iat: 1_763_760_000, exp: 1_763_760_060 });
    expect(request.code).toMatch(PAIRING_CODE_PATTERN);
  });
});
