import { describe, expect, test } from "vitest";
import { keyActionAtStart } from "../src/background/key-lifetime.js";
import { backoffDelay } from "../src/background/native-port.js";
import { formatRemaining, secondsLeft } from "../src/lib/countdown.js";
import { parseUiRequest, requestIdFromLocation } from "../src/lib/ui-messages.js";

const ID = "3f278df0-09a5-4933-91bc-c68bdbfb9f7d";
const DIGEST = "A".repeat(43);

describe("key lifetime at worker start", () => {
  test("persistent keys are kept, whether the browser just started or the worker woke", () => {
    expect(keyActionAtStart("persistent", false)).toBe("keep");
    expect(keyActionAtStart("persistent", true)).toBe("keep");
  });
  test("session keys are regenerated at a browser start only, not at a worker wake-up", () => {
    expect(keyActionAtStart("session", false)).toBe("regenerate");
    expect(keyActionAtStart("session", true)).toBe("keep");
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
