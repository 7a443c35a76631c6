import { describe, expect, test } from "vitest";
import { DEFAULT_KEY_POLICY, describeKeyLifetime, keyPlanAtPairing, missingKeyError } from "../src/background/key-lifetime.js";
import { backoffDelay } from "../src/background/native-port.js";
import { formatRemaining, secondsLeft } from "../src/lib/countdown.js";
import { SESSION_KEY_ENDED_MESSAGE } from "../src/lib/memory-key.js";
import { parseUiRequest, requestIdFromLocation } from "../src/lib/ui-messages.js";

const ID = "3f278df0-09a5-4933-91bc-c68bdbfb9f7d";
const DIGEST = "A".repeat(43);

describe("key lifetime", () => {
  test("pairing keeps the held key only when it has the lifetime asked for", () => {
    expect(keyPlanAtPairing("persistent", "persistent")).toBe("keep");
    expect(keyPlanAtPairing("session", "session")).toBe("keep");
    expect(keyPlanAtPairing("persistent", "session")).toBe("create");
    expect(keyPlanAtPairing("session", "persistent")).toBe("create");
    expect(keyPlanAtPairing(undefined, "persistent")).toBe("create");
    expect(keyPlanAtPairing(undefined, "session")).toBe("create");
  });
  test("no key: a paired session key ended with the browser (ERR_SESSION_KEY_ENDED), otherwise ERR_NO_KEY; both name hitl pair", () => {
    expect(missingKeyError("session", true)).toEqual({ code: "ERR_SESSION_KEY_ENDED", message: SESSION_KEY_ENDED_MESSAGE });
    expect(SESSION_KEY_ENDED_MESSAGE).toContain("run `hitl pair --key-lifetime session`");
    const noKey = { code: "ERR_NO_KEY", message: "The browser extension has no signing key yet: pair first: run `hitl pair`." };
    expect(missingKeyError("session", false)).toEqual(noKey);
    expect(missingKeyError("persistent", true)).toEqual(noKey);
    expect(missingKeyError("persistent", false)).toEqual(noKey);
  });
  test("the popup says where the key lives", () => {
    expect(describeKeyLifetime("persistent", true)).toBe("persistent: stored in this browser profile, kept across restarts");
    expect(describeKeyLifetime("session", true)).toBe("session: in memory only, never on disk; ends when the browser quits");
    expect(describeKeyLifetime("session", false)).toBe("session: ended when the browser quit; run `hitl pair` to pair a new key");
  });
  test("persistent is the default for local pairing", () => {
    expect(DEFAULT_KEY_POLICY).toBe("persistent");
  });
});

describe("native port backoff", () => {
  test("doubles from 250 ms and is capped at 30 s", () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, 250, 30_000))).toEqual([250, 500, 1000, 2000, 4000]);
    expect(backoffDelay(7, 250, 30_000)).toBe(30_000);
    expect(backoffDelay(1_000, 250, 30_000)).toBe(30_000);
  });
});

describe("countdown", () => {
  test("formats minutes, seconds and hours, never negative", () => {
    expect(formatRemaining(1_000_000_125, 1_000_000_000_000)).toBe("2:05");
    expect(formatRemaining(1_000_000_009, 1_000_000_000_000)).toBe("0:09");
    expect(formatRemaining(1_000_003_723, 1_000_000_000_000)).toBe("1:02:03");
    expect(formatRemaining(1_000_000_000, 1_000_000_005_000)).toBe("0:00");
    expect(secondsLeft(1_000_000_010, 1_000_000_000_500)).toBe(10);
  });
});

describe("page -> worker messages", () => {
  test("well-formed messages parse to exactly their fields", () => {
    expect(parseUiRequest({ type: "approval.get", requestId: ID })).toEqual({ type: "approval.get", requestId: ID });
    expect(parseUiRequest({ type: "approval.decide", requestId: ID, decision: "approve", shownDigest: DIGEST })).toEqual({
      type: "approval.decide",
      requestId: ID,
      decision: "approve",
      shownDigest: DIGEST,
    });
    expect(parseUiRequest({ type: "pairing.decide", requestId: ID, accept: false })).toEqual({
      type: "pairing.decide",
      requestId: ID,
      accept: false,
    });
    expect(parseUiRequest({ type: "popup.status" })).toEqual({ type: "popup.status" });
    expect(parseUiRequest({ type: "pairing.close" })).toEqual({ type: "pairing.close" });
  });

  test.each([
    ["unknown type", { type: "sign", requestId: ID }],
    ["extra field", { type: "approval.get", requestId: ID, challenge: {} }],
    ["bad id", { type: "approval.get", requestId: "not-a-uuid" }],
    ["bad decision", { type: "approval.decide", requestId: ID, decision: "maybe", shownDigest: DIGEST }],
    ["short digest", { type: "approval.decide", requestId: ID, decision: "approve", shownDigest: "abc" }],
    ["missing digest", { type: "approval.decide", requestId: ID, decision: "approve" }],
    ["accept not boolean", { type: "pairing.decide", requestId: ID, accept: "yes" }],
    // A window closes only itself (the sender's window): no id to name another one.
    ["pairing.close naming a window", { type: "pairing.close", windowId: 7 }],
    ["array", [ID]],
    ["null", null],
  ])("refuses %s", (_name, value) => {
    expect(parseUiRequest(value)).toBeUndefined();
  });

  test("the window's request id comes from its URL and must be a UUID v4", () => {
    expect(requestIdFromLocation(`?request=${ID}`)).toBe(ID);
    expect(requestIdFromLocation("?request=../../etc")).toBeUndefined();
    expect(requestIdFromLocation("")).toBeUndefined();
  });
});
