import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { LIMITS } from "../src/protocol/constants.js";
import { canonicalize } from "../src/protocol/jcs.js";
import { canonicalNumberText, parseStrictJson } from "../src/protocol/lib/strict-json.js";
import { parseChallenge, parseReceipt, parseReceiptBytes, parseReceiptJson } from "../src/protocol/validate.js";
import { makeApprover, makeChallenge, signReceipt, wire } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { rejects } from "./helpers/hitl-error.js";

const alice = makeApprover("alice");
const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
const verify = (input: unknown, intent?: string) =>
  verifyReceipt(input, { aud: "hitl-cli", ...(intent !== undefined && { intent }) }, { keys, nonces: "offline-audit" });

const receiptText = () => JSON.stringify(signReceipt(makeChallenge(), alice));
const NUMBER_MESSAGE = (literal: string, canonical: string) =>
  `The receipt writes the number ${literal} in another form than canonical JSON's (${canonical}); write numbers as RFC 8785 does (no "1.0", "1e0", "-0", leading zeros or more digits than a double holds).`;

describe("JSON text: number literals must be written as JCS writes them", () => {
  it.each([
    ["1.0", "1"],
    ["1e0", "1"],
    ["1E0", "1"],
    ["10e-1", "1"],
    ["-0", "0"],
    ["-0.0", "0"],
  ])("refuses v written as %s (ERR_MALFORMED)", (literal, canonical) => {
    rejects(
      () => parseReceiptJson(receiptText().replace(/^\{"v":1,/, `{"v":${literal},`)),
      "ERR_MALFORMED",
      NUMBER_MESSAGE(literal, canonical),
    );
  });

  it("refuses a timestamp with a fraction or exponent, and an integer above 2^53 that a double rounds", () => {
    const text = receiptText();
    const iat = /"iat":(\d+)/.exec(text)![1]!;
    rejects(() => parseReceiptJson(text.replace(`"iat":${iat}`, `"iat":${iat}.0`)), "ERR_MALFORMED", NUMBER_MESSAGE(`${iat}.0`, iat));
    rejects(
      () => parseReceiptJson(text.replace(`"iat":${iat}`, `"iat":${iat.slice(0, 1)}.${iat.slice(1)}e9`)),
      "ERR_MALFORMED",
      /writes the number/,
    );
    rejects(
      () => parseStrictJson('{"n":9007199254740993}', "The body"),
      "ERR_MALFORMED",
      /^The body writes the number 9007199254740993 in another form than canonical JSON's \(9007199254740992\)/,
    );
  });

  it("in details: only literals that equal their JCS form (1e+30, 5e-324 pass; 1E30, 0.50, 1e400 do not; leading zeros are not JSON at all)", () => {
    for (const ok of ["0", "-1", "4.5", "1e+30", "1e-7", "5e-324", "1.7976931348623157e+308", "9007199254740992", "0.000001"]) {
      expect(() => parseStrictJson(`{"d":[${ok}]}`, "x"), ok).not.toThrow();
      expect(canonicalNumberText(ok)).toBe(ok);
    }
    for (const bad of ["1E30", "1e30", "0.50", "1e400", "1.50e2", "100e-2", "123456789012345678901"]) {
      rejects(() => parseStrictJson(`{"d":[${bad}]}`, "x"), "ERR_MALFORMED", /^x writes the number /);
    }
    for (const bad of ["00", "-00", "01"]) rejects(() => parseStrictJson(`{"d":[${bad}]}`, "x"), "ERR_MALFORMED", "x is not valid JSON.");
  });

  it("the object path refuses -0 (JCS writes it as 0) in details and in integers", () => {
    const receipt = wire(signReceipt(makeChallenge(), alice)) as unknown as Record<string, Record<string, Record<string, unknown>>>;
    receipt.challenge!.action!.details = { n: -0 };
    rejects(
      () => parseReceipt(receipt),
      "ERR_MALFORMED",
      "receipt.challenge.action.details.n is -0, which canonical JSON cannot write (send 0).",
    );
    const pid = wire(signReceipt(makeChallenge(), alice)) as unknown as Record<string, Record<string, Record<string, unknown>>>;
    pid.challenge!.requester!.pid = -0;
    rejects(() => parseReceipt(pid), "ERR_MALFORMED", "receipt.challenge.requester.pid must be an integer.");
  });

  it("property: the rule is 'the literal equals the ECMAScript serialization of its value' (independent check)", () => {
    // Literals built from parts, so that non-canonical forms (leading zeros, exponents, trailing zeros) are common.
    const literal = fc
      .tuple(
        fc.constantFrom("", "-"),
        fc.stringMatching(/^(0|[1-9][0-9]{0,20}|0[0-9]{1,3})$/),
        fc.option(fc.stringMatching(/^[0-9]{1,20}$/), { nil: undefined }),
        fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.stringMatching(/^[0-9]{1,3}$/)), {
          nil: undefined,
        }),
      )
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === undefined ? "" : `.${frac}`}${exp === undefined ? "" : exp.join("")}`);
    fc.assert(
      fc.property(literal, (text) => {
        const doc = `{"n":${text}}`;
        let parsedByJson = true;
        try {
          JSON.parse(doc);
        } catch {
          parsedByJson = false;
        }
        const value = Number(text);
        // Independent: ECMAScript Number::toString, via template literal, with JCS's finite-only rule.
        const canonical = Number.isFinite(value) && !Object.is(value, -0) && `${value}` === text;
        let accepted = true;
        try {
          parseStrictJson(doc, "x");
        } catch (error) {
          expect(error).toMatchObject({ code: "ERR_MALFORMED" });
          accepted = false;
        }
        expect(accepted).toBe(parsedByJson && canonical);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("JSON text: encoding", () => {
  it("a byte order mark at the start is ERR_INVALID_ENCODING (text and bytes)", () => {
    const message = "The receipt starts with a byte order mark (U+FEFF); send UTF-8 JSON without one.";
    rejects(() => parseReceiptJson(`\ufeff${receiptText()}`), "ERR_INVALID_ENCODING", message);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(receiptText())]);
    rejects(() => parseReceiptBytes(bytes), "ERR_INVALID_ENCODING", message);
  });

  it("invalid UTF-8 bytes are ERR_INVALID_ENCODING, never replaced by U+FFFD", async () => {
    const text = receiptText().replace("delete /tmp/testfile", "delete /tmp/XX");
    const bytes = Buffer.from(text);
    const at = bytes.indexOf("XX");
    bytes[at] = 0xc3; // a lead byte followed by "X": not a continuation
    rejects(
      () => parseReceiptBytes(bytes),
      "ERR_INVALID_ENCODING",
      "The receipt is not valid UTF-8; it was corrupted or is not hitl JSON.",
    );
    await expect(verify(bytes)).rejects.toMatchObject({ code: "ERR_INVALID_ENCODING" });
  });

  it("bytes over the receipt limit are ERR_TOO_LARGE before decoding", () => {
    rejects(
      () => parseReceiptBytes(new Uint8Array(LIMITS.receiptBytes + 1).fill(0xff)),
      "ERR_TOO_LARGE",
      `The receipt is larger than ${LIMITS.receiptBytes} bytes; it cannot be a hitl receipt.`,
    );
  });

  it("verifyReceipt takes bytes as it takes text", async () => {
    const receipt = signReceipt(makeChallenge(), alice);
    await expect(verify(new TextEncoder().encode(JSON.stringify(receipt)))).resolves.toMatchObject({ approver: { sub: "alice" } });
  });
});

describe("shape precedence and limits", () => {
  it("a version other than 1 is reported before unknown and missing members, at every versioned level", () => {
    const text = receiptText();
    rejects(
      () => parseReceiptJson(text.replace(/^\{"v":1,/, '{"v":2,"extra":true,')),
      "ERR_UNSUPPORTED_VERSION",
      "receipt.v is 2; this implementation speaks version 1 only. Upgrade hitl on both sides.",
    );
    const receipt = wire(signReceipt(makeChallenge(), alice)) as unknown as Record<string, Record<string, unknown>>;
    receipt.challenge = { v: 2, future: "member" };
    rejects(() => parseReceipt(receipt), "ERR_UNSUPPORTED_VERSION", /^receipt\.challenge\.v is 2;/);
    // Without "v" the object is simply malformed: the first unknown member, then the missing one.
    receipt.challenge = { future: "member" };
    rejects(
      () => parseReceipt(receipt),
      "ERR_MALFORMED",
      "receipt.challenge.future is not a known field (unknown fields are rejected, not ignored).",
    );
  });

  it("a challenge over 48 KiB as JCS is ERR_TOO_LARGE, even with every part within its own limit", () => {
    const details = { text: "\u0001".repeat(5000) }; // 30 000 bytes as JCS (\u0001 escapes)
    const summary = `x${"\u0002".repeat(2000)}`; // 12 001 bytes as JCS
    const cwd = `/${"\u0003".repeat(1200)}`; // 7 201 bytes as JCS
    const challenge = makeChallenge({ action: { summary, details }, requester: { tool: "hitl-cli", cwd } });
    expect(canonicalize(challenge).length).toBeGreaterThan(LIMITS.challengeBytes);
    rejects(
      () => parseChallenge(wire(challenge)),
      "ERR_TOO_LARGE",
      `challenge is larger than ${LIMITS.challengeBytes} bytes as canonical JSON; shorten the summary, the details or the cwd.`,
    );
    const smaller = makeChallenge({ action: { summary: summary.slice(0, 500), details }, requester: { tool: "hitl-cli", cwd } });
    expect(canonicalize(smaller).length).toBeLessThanOrEqual(LIMITS.challengeBytes);
    expect(() => parseChallenge(wire(smaller))).not.toThrow();
  });

  it("cwd is free text but never empty; a summary of only invisible characters is blank", () => {
    rejects(
      () => parseChallenge(wire(makeChallenge({ requester: { tool: "t", cwd: "" } }))),
      "ERR_MALFORMED",
      "challenge.requester.cwd must not be empty (omit it instead).",
    );
    expect(parseChallenge(wire(makeChallenge({ requester: { tool: "t", cwd: "/tmp/a\nb" } }))).requester.cwd).toBe("/tmp/a\nb");
    rejects(
      () => parseChallenge(wire(makeChallenge({ action: { summary: "\u200b\u3164 \ufeff" } }))),
      "ERR_MALFORMED",
      "challenge.action.summary must say what will happen in at least one visible character (it is blank).",
    );
  });
});

describe("verifier: decidedAt and the intent fallback", () => {
  it("a decision dated after now (+ skew) is ERR_DECIDED_OUTSIDE_WINDOW, even inside the challenge window", async () => {
    const now = 1_767_225_600;
    const challenge = makeChallenge({}, now);
    const receipt = signReceipt(challenge, alice, { decidedAt: now + 60 });
    const at = (seconds: number) =>
      verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: "offline-audit", clock: () => seconds * 1000, skewSeconds: 30 });
    await expect(at(now)).rejects.toMatchObject({
      name: "HitlError",
      code: "ERR_DECIDED_OUTSIDE_WINDOW",
      message: `The decision is dated ${new Date((now + 60) * 1000).toISOString()}, later than now (${new Date(now * 1000).toISOString()}). Check the clocks of the approver and this machine and request a new approval.`,
    });
    await expect(at(now + 30)).resolves.toBeDefined();
  });

  it("no expected intent: the challenge's intent must be the action's digest (the 'no structured call' fallback)", async () => {
    const { intentDigest } = await import("../src/digests.js");
    const call = { fn: "transfer", args: { to: "bob", amount: 10 } };
    const bound = signReceipt(makeChallenge({ intent: intentDigest(call) }), alice);
    await expect(verify(bound)).rejects.toMatchObject({
      name: "HitlError",
      code: "ERR_INTENT_MISMATCH",
      message:
        "The approval is bound to a structured call (its intent is not the digest of the action), and no expected intent was given; pass the intent digest of the call you will run (expectations.intent, hitl verify --intent).",
    });
    await expect(verify(bound, intentDigest(call))).resolves.toBeDefined();
    // The caller's own challenge names the intent too.
    await expect(
      verifyReceipt(bound, { aud: "hitl-cli", challenge: bound.challenge }, { keys, nonces: "offline-audit" }),
    ).resolves.toBeDefined();
    await expect(verify(signReceipt(makeChallenge(), alice))).resolves.toBeDefined();
  });
});

describe("JSON text: integer-like member names", () => {
  it("with integer-like names, JSON.stringify cannot keep JCS order: the parser reports it and the verifier takes the slow path", async () => {
    const challenge = makeChallenge({ action: { summary: "s", details: { b: 1, 10: 2, 9: 3 } } });
    const notes = { stringifyIsCanonical: true };
    parseReceiptJson(JSON.stringify(signReceipt(challenge, alice)), notes);
    expect(notes.stringifyIsCanonical).toBe(false);
    await expect(verify(signReceipt(challenge, alice))).resolves.toBeDefined();
  });
});
