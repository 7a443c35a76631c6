import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../src/protocol/constants.js";
import { findDuplicateMemberName, parseStrictJson } from "../src/protocol/lib/strict-json.js";
import { KEY_POLICIES, parseHealthResponseBody, parseHostToExtension, parsePairRequestBody } from "../src/protocol/messages.js";
import type { JsonValue } from "../src/protocol/types.js";
import {
  parseChallenge,
  parseDecisionStatement,
  parseJsonValue,
  parsePairingRequest,
  parsePairingResponse,
  parseReceipt,
  parseReceiptJson,
} from "../src/protocol/validate.js";
import { EXTENSION_HELLO, makeApprover, makeChallenge, makePairingRequest, signPairing, signReceipt, wire } from "../src/testing/index.js";
import { rejects } from "./helpers/hitl-error.js";

const approver = makeApprover("alice");
const challenge = makeChallenge({}, 1_767_225_600);
const receipt = wire(signReceipt(challenge, approver));

/** A copy of `value` with the member at `path` replaced (or deleted with `undefined`). */
function withMember<T>(value: T, path: (string | number)[], member: unknown): T {
  const copy = wire(value) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (member === undefined) delete target[last];
  else target[last] = member;
  return copy as T;
}

describe("parseReceipt: every field path", () => {
  it("accepts a valid receipt and returns only known fields in canonical member order", () => {
    const parsed = parseReceipt(receipt);
    expect(parsed).toEqual(receipt);
    expect(Object.keys(parsed)).toEqual(["challenge", "kid", "sig", "statement", "v"]);
    expect(Object.keys(parsed.challenge)).toEqual(["action", "aud", "exp", "iat", "id", "intent", "nonce", "requester", "v"]);
    expect(Object.keys(parsed.statement)).toEqual(["challenge", "decidedAt", "decision", "kid", "sub", "v"]);
    expect(Object.keys(parsed.challenge.requester)).toEqual(["cwd", "host", "pid", "tool"]);
  });

  it.each<[string, (string | number)[], unknown, string, string | RegExp]>([
    ["not an object", [], null, "ERR_MALFORMED", "receipt must be a JSON object."],
    [
      "an unknown top-level field",
      ["extra"],
      1,
      "ERR_MALFORMED",
      "receipt.extra is not a known field (unknown fields are rejected, not ignored).",
    ],
    ["a missing sig", ["sig"], undefined, "ERR_MALFORMED", "receipt.sig is missing."],
    [
      "version 2",
      ["v"],
      2,
      "ERR_UNSUPPORTED_VERSION",
      "receipt.v is 2; this implementation speaks version 1 only. Upgrade hitl on both sides.",
    ],
    [
      "a string version",
      ["v"],
      "1",
      "ERR_UNSUPPORTED_VERSION",
      'receipt.v is "1"; this implementation speaks version 1 only. Upgrade hitl on both sides.',
    ],
    ["a challenge array", ["challenge"], [], "ERR_MALFORMED", "receipt.challenge must be a JSON object."],
    ["a bad uuid", ["challenge", "id"], "not-a-uuid", "ERR_MALFORMED", "receipt.challenge.id must be a lowercase UUID v4."],
    [
      "an uppercase uuid",
      ["challenge", "id"],
      challenge.id.toUpperCase(),
      "ERR_MALFORMED",
      "receipt.challenge.id must be a lowercase UUID v4.",
    ],
    [
      "a short nonce",
      ["challenge", "nonce"],
      "AAAA",
      "ERR_INVALID_ENCODING",
      "receipt.challenge.nonce must be 43 base64url characters (no padding), got 4.",
    ],
    ["a numeric nonce", ["challenge", "nonce"], 5, "ERR_MALFORMED", "receipt.challenge.nonce must be a base64url string."],
    [
      "a nonce with '+'",
      ["challenge", "nonce"],
      `+${challenge.nonce.slice(1)}`,
      "ERR_INVALID_ENCODING",
      /^receipt\.challenge\.nonce is not valid base64url: unexpected character at position 0/,
    ],
    ["an empty audience", ["challenge", "aud"], "", "ERR_MALFORMED", "receipt.challenge.aud must not be empty."],
    [
      "a newline in the audience",
      ["challenge", "aud"],
      "a\nb",
      "ERR_MALFORMED",
      "receipt.challenge.aud must not contain U+000A: one-line names refuse control, format, line-separator and invisible (default-ignorable) characters, which could make one name display as another.",
    ],
    [
      "a bidi override in the audience",
      ["challenge", "aud"],
      "abc\u202edef",
      "ERR_MALFORMED",
      "receipt.challenge.aud must not contain U+202E: one-line names refuse control, format, line-separator and invisible (default-ignorable) characters, which could make one name display as another.",
    ],
    [
      "a long audience",
      ["challenge", "aud"],
      "a".repeat(LIMITS.audienceBytes + 1),
      "ERR_TOO_LARGE",
      `receipt.challenge.aud is longer than ${LIMITS.audienceBytes} UTF-8 bytes; shorten it.`,
    ],
    [
      "an audience long only in UTF-8",
      ["challenge", "aud"],
      "é".repeat(LIMITS.audienceBytes / 2 + 1),
      "ERR_TOO_LARGE",
      `receipt.challenge.aud is longer than ${LIMITS.audienceBytes} UTF-8 bytes; shorten it.`,
    ],
    ["a float iat", ["challenge", "iat"], 1.5, "ERR_MALFORMED", "receipt.challenge.iat must be an integer."],
    ["a string iat", ["challenge", "iat"], "1767225600", "ERR_MALFORMED", "receipt.challenge.iat must be an integer."],
    [
      "an iat in milliseconds",
      ["challenge", "iat"],
      1_767_225_600_000,
      "ERR_MALFORMED",
      "receipt.challenge.iat must be between 1000000000 and 9999999999.",
    ],
    ["exp before iat", ["challenge", "exp"], challenge.iat, "ERR_MALFORMED", "receipt.challenge.exp must be later than iat."],
    [
      "a lifetime over an hour",
      ["challenge", "exp"],
      challenge.iat + 3601,
      "ERR_MALFORMED",
      "receipt.challenge.exp must be at most 3600 seconds after iat.",
    ],
    [
      "an action without summary",
      ["challenge", "action", "summary"],
      undefined,
      "ERR_MALFORMED",
      "receipt.challenge.action.summary is missing.",
    ],
    [
      "a blank summary",
      ["challenge", "action", "summary"],
      " \n\t ",
      "ERR_MALFORMED",
      "receipt.challenge.action.summary must say what will happen in at least one visible character (it is blank).",
    ],
    [
      "a NUL in the summary",
      ["challenge", "action", "summary"],
      "a\u0000b",
      "ERR_MALFORMED",
      "receipt.challenge.action.summary must not contain NUL characters.",
    ],
    [
      "a lone surrogate in the summary",
      ["challenge", "action", "summary"],
      "a\ud800",
      "ERR_INVALID_ENCODING",
      "receipt.challenge.action.summary contains a lone UTF-16 surrogate; send valid Unicode.",
    ],
    [
      "a long summary",
      ["challenge", "action", "summary"],
      "x".repeat(LIMITS.summaryBytes + 1),
      "ERR_TOO_LARGE",
      `receipt.challenge.action.summary is longer than ${LIMITS.summaryBytes} UTF-8 bytes; shorten it.`,
    ],
    [
      "a NUL in details",
      ["challenge", "action", "details"],
      { a: "\u0000" },
      "ERR_MALFORMED",
      "receipt.challenge.action.details.a must not contain NUL characters.",
    ],
    [
      "an unknown action field",
      ["challenge", "action", "html"],
      "<b>",
      "ERR_MALFORMED",
      "receipt.challenge.action.html is not a known field (unknown fields are rejected, not ignored).",
    ],
    [
      "details over the size limit",
      ["challenge", "action", "details"],
      { a: "x".repeat(LIMITS.detailsBytes) },
      "ERR_TOO_LARGE",
      `receipt.challenge.action.details is larger than ${LIMITS.detailsBytes} bytes as canonical JSON; send less detail.`,
    ],
    [
      "a requester without tool",
      ["challenge", "requester", "tool"],
      undefined,
      "ERR_MALFORMED",
      "receipt.challenge.requester.tool is missing.",
    ],
    [
      "a negative pid",
      ["challenge", "requester", "pid"],
      -1,
      "ERR_MALFORMED",
      "receipt.challenge.requester.pid must be between 0 and 2147483647.",
    ],
    [
      "a tab in the host",
      ["challenge", "requester", "host"],
      "a\tb",
      "ERR_MALFORMED",
      "receipt.challenge.requester.host must not contain U+0009: one-line names refuse control, format, line-separator and invisible (default-ignorable) characters, which could make one name display as another.",
    ],
    [
      "a short intent",
      ["challenge", "intent"],
      "abc",
      "ERR_INVALID_ENCODING",
      "receipt.challenge.intent must be 43 base64url characters (no padding), got 3.",
    ],
    ["decision 'yes'", ["statement", "decision"], "yes", "ERR_MALFORMED", 'receipt.statement.decision must be one of "approve", "deny".'],
    [
      "a statement version 0",
      ["statement", "v"],
      0,
      "ERR_UNSUPPORTED_VERSION",
      "receipt.statement.v is 0; this implementation speaks version 1 only. Upgrade hitl on both sides.",
    ],
    [
      "a control character in sub",
      ["statement", "sub"],
      "al\u0007ice",
      "ERR_MALFORMED",
      "receipt.statement.sub must not contain U+0007: one-line names refuse control, format, line-separator and invisible (default-ignorable) characters, which could make one name display as another.",
    ],
    [
      "a short statement.challenge",
      ["statement", "challenge"],
      "AA",
      "ERR_INVALID_ENCODING",
      "receipt.statement.challenge must be 43 base64url characters (no padding), got 2.",
    ],
    ["a float decidedAt", ["statement", "decidedAt"], 1.25, "ERR_MALFORMED", "receipt.statement.decidedAt must be an integer."],
    [
      "a padded signature",
      ["sig"],
      `${receipt.sig.slice(0, 84)}==`,
      "ERR_INVALID_ENCODING",
      /^receipt\.sig is not valid base64url: unexpected character at position 84/,
    ],
    [
      "a short signature",
      ["sig"],
      receipt.sig.slice(0, 85),
      "ERR_INVALID_ENCODING",
      "receipt.sig must be 86 base64url characters (no padding), got 85.",
    ],
    [
      "another kid",
      ["kid"],
      makeApprover().kid,
      "ERR_KEY_ID_MISMATCH",
      "receipt.kid does not match receipt.statement.kid; the receipt was assembled wrongly or altered.",
    ],
  ])("refuses %s", (_name, path, member, code, message) => {
    rejects(() => parseReceipt(path.length === 0 ? member : withMember(receipt, path, member)), code, message);
  });

  it("details nesting deeper than the limit is refused", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i <= LIMITS.detailsDepth + 1; i++) deep = [deep];
    rejects(() => parseChallenge(withMember(challenge, ["action", "details"], deep)), "ERR_MALFORMED", /nests deeper than 16 levels\.$/);
  });

  it("parseJsonValue refuses values JSON cannot carry", () => {
    rejects(() => parseJsonValue(Number.NaN, "d"), "ERR_MALFORMED", "d must be a finite number.");
    rejects(() => parseJsonValue(() => 1, "d"), "ERR_MALFORMED", "d is not a JSON value.");
    rejects(() => parseJsonValue(new Date(0), "d"), "ERR_MALFORMED", "d is not a JSON value.");
    rejects(() => parseJsonValue({ a: undefined }, "d"), "ERR_MALFORMED", "d.a has no JSON value.");
    rejects(
      () => parseJsonValue({ "\ud800": 1 }, "d"),
      "ERR_INVALID_ENCODING",
      "d key contains a lone UTF-16 surrogate; send valid Unicode.",
    );
  });

  it("parseJsonValue keeps a __proto__ member as a member and sorts members", () => {
    const parsed = parseJsonValue(JSON.parse('{"z":1,"__proto__":{"polluted":true}}'), "d") as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["__proto__", "z"]);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("details exactly at the size limit pass, one byte more is refused (the exact count runs past the cheap bound)", () => {
    // {"a":"…"} is 8 bytes of JSON around the string; "é" is 2 UTF-8 bytes, "\u0001" escapes to 6.
    const filler = (bytes: number) => `${"é".repeat(100)}\u0001${"x".repeat(bytes - 8 - 200 - 6)}`;
    const atLimit = { a: filler(LIMITS.detailsBytes) };
    expect(parseChallenge(withMember(challenge, ["action", "details"], atLimit)).action.details).toEqual(atLimit);
    rejects(
      () => parseChallenge(withMember(challenge, ["action", "details"], { a: `${filler(LIMITS.detailsBytes)}x` })),
      "ERR_TOO_LARGE",
      `challenge.action.details is larger than ${LIMITS.detailsBytes} bytes as canonical JSON; send less detail.`,
    );
  });

  it("details made of escapes (6 bytes per character as JSON) are counted as such", () => {
    const escapes = "\u0001".repeat((LIMITS.detailsBytes - 8) / 6); // {"a":"\u0001…"} exactly at the limit
    expect(parseJsonValue({ a: escapes }, "d")).toEqual({ a: escapes });
    rejects(
      () => parseChallenge(withMember(challenge, ["action", "details"], { a: `${escapes}x` })),
      "ERR_TOO_LARGE",
      `challenge.action.details is larger than ${LIMITS.detailsBytes} bytes as canonical JSON; send less detail.`,
    );
    expect(parseChallenge(withMember(challenge, ["action", "details"], { a: escapes })).action.details).toEqual({ a: escapes });
  });

  it("a required field counts only as an own member, never through the prototype", () => {
    const proto = { sig: receipt.sig };
    const inherited = Object.assign(Object.create(proto) as Record<string, unknown>, withMember(receipt, ["sig"], undefined));
    rejects(() => parseReceipt(inherited), "ERR_MALFORMED", "receipt.sig is missing.");
    rejects(() => parseReceipt({ ...receipt, sig: undefined }), "ERR_MALFORMED", "receipt.sig is missing.");
  });

  it("an optional field inherited from a polluted prototype is refused, not read", () => {
    const proto = Object.prototype as { details?: unknown };
    proto.details = { injected: true };
    try {
      rejects(
        () => parseChallenge(withMember(challenge, ["action", "details"], undefined)),
        "ERR_MALFORMED",
        "challenge.action.details comes from a prototype, not from the object itself.",
      );
    } finally {
      delete proto.details;
    }
    expect(parseChallenge(withMember(challenge, ["action", "details"], undefined)).action).not.toHaveProperty("details");
  });

  it("an unknown field is named before a missing one (a misspelt name is the likelier mistake)", () => {
    const misspelt = withMember(withMember(receipt, ["sig"], undefined), ["sgi"], receipt.sig);
    rejects(() => parseReceipt(misspelt), "ERR_MALFORMED", "receipt.sgi is not a known field (unknown fields are rejected, not ignored).");
  });

  it("parseDecisionStatement is usable alone", () => {
    expect(parseDecisionStatement(receipt.statement)).toEqual(receipt.statement);
  });
});

describe("parseReceiptJson: the text", () => {
  const text = JSON.stringify(receipt);

  it("accepts the JSON text of a valid receipt", () => {
    expect(parseReceiptJson(text)).toEqual(receipt);
  });

  it("refuses text over the size limit before parsing", () => {
    rejects(
      () => parseReceiptJson(" ".repeat(LIMITS.receiptBytes + 1)),
      "ERR_TOO_LARGE",
      `The receipt is larger than ${LIMITS.receiptBytes} bytes; it cannot be a hitl receipt.`,
    );
    rejects(
      () => parseReceiptJson("é".repeat(LIMITS.receiptBytes / 2 + 1)),
      "ERR_TOO_LARGE",
      `The receipt is larger than ${LIMITS.receiptBytes} bytes; it cannot be a hitl receipt.`,
    );
  });

  it("refuses text that is not JSON", () => {
    rejects(() => parseReceiptJson(text.slice(1)), "ERR_MALFORMED", "The receipt is not valid JSON.");
    rejects(() => parseReceiptJson(""), "ERR_MALFORMED", "The receipt is not valid JSON.");
  });

  it("refuses duplicate member names, even when spelled with escapes", () => {
    rejects(
      () => parseReceiptJson(text.replace('"v":1,', '"v":1,"v":1,')),
      "ERR_MALFORMED",
      'The receipt repeats the member name "v" in one object; duplicate names are ambiguous and refused.',
    );
    rejects(
      () => parseReceiptJson(text.replace('"aud":', '"\\u0061ud":"x","aud":')),
      "ERR_MALFORMED",
      'The receipt repeats the member name "aud" in one object; duplicate names are ambiguous and refused.',
    );
  });
});

describe("findDuplicateMemberName", () => {
  it.each([
    ['{"a":1,"b":{"a":2}}', undefined],
    ['{"a":1,"a":2}', "a"],
    ['[{"a":1},{"a":1}]', undefined],
    ['{"a":{"x":1,"y":[{"x":1,"x":2}]}}', "x"],
    ['{"k":"\\"a\\":1","a":1}', undefined],
    ['{"a\\\\":1,"a\\\\":2}', "a\\"],
    ['{"a":"}","b":"{","a":0}', "a"],
    ['{"\\ud83d\\ude00":1,"😀":2}', "😀"],
    ['"just a string"', undefined],
    ["[]", undefined],
    ['{"a":[1,2,{"b":3}],"c":{}}', undefined],
    // A non-canonical number before the duplicate does not hide it (numbers are parseStrictJson's concern).
    ['{"n":1.0,"a":1,"a":2}', "a"],
    ['{"n":1e3,"m":[-0]}', undefined],
  ])("%s -> %s", (text, duplicate) => {
    expect(findDuplicateMemberName(text)).toBe(duplicate);
    if (duplicate === undefined && !/1\.0|1e3|-0/.test(text)) expect(parseStrictJson(text, "doc")).toEqual(JSON.parse(text));
  });
});

describe("pairing documents", () => {
  const request = makePairingRequest({}, 1_767_225_600);
  const response = wire(signPairing(request, approver));

  it("accept valid ones, members in canonical order", () => {
    expect(parsePairingRequest(request)).toEqual(request);
    expect(Object.keys(parsePairingRequest(request))).toEqual(["aud", "code", "exp", "iat", "id", "nonce", "requester", "subject", "v"]);
    expect(parsePairingResponse(response)).toEqual(response);
  });

  it.each<[string, (string | number)[], unknown, string, string]>([
    ["a code without dash", ["code"], "123456", "ERR_MALFORMED", 'pairingRequest.code must look like "123-456".'],
    ["a numeric code", ["code"], 123456, "ERR_MALFORMED", 'pairingRequest.code must look like "123-456".'],
    ["an empty subject", ["subject"], "", "ERR_MALFORMED", "pairingRequest.subject must not be empty."],
    ["an expiry before issue", ["exp"], request.iat - 1, "ERR_MALFORMED", "pairingRequest.exp must be later than iat."],
    [
      "an unknown field",
      ["key"],
      "x",
      "ERR_MALFORMED",
      "pairingRequest.key is not a known field (unknown fields are rejected, not ignored).",
    ],
  ])("pairing request: refuses %s", (_name, path, member, code, message) => {
    rejects(() => parsePairingRequest(withMember(request, path, member)), code, message);
  });

  it.each<[string, (string | number)[], unknown, string, string]>([
    ["a missing statement", ["statement"], undefined, "ERR_MALFORMED", "pairing.statement is missing."],
    [
      "a short public key",
      ["statement", "publicKey"],
      "AAAA",
      "ERR_INVALID_ENCODING",
      "pairing.statement.publicKey must be 43 base64url characters (no padding), got 4.",
    ],
    ["a float pairedAt", ["statement", "pairedAt"], 2.5, "ERR_MALFORMED", "pairing.statement.pairedAt must be an integer."],
    ["a missing codeDigest", ["statement", "codeDigest"], undefined, "ERR_MALFORMED", "pairing.statement.codeDigest is missing."],
    [
      "the code itself instead of its digest",
      ["statement", "codeDigest"],
      "KPTWRM",
      "ERR_INVALID_ENCODING",
      "pairing.statement.codeDigest must be 43 base64url characters (no padding), got 6.",
    ],
    [
      "version 3",
      ["statement", "v"],
      3,
      "ERR_UNSUPPORTED_VERSION",
      "pairing.statement.v is 3; this implementation speaks version 1 only. Upgrade hitl on both sides.",
    ],
    ["a short signature", ["sig"], "AAAA", "ERR_INVALID_ENCODING", "pairing.sig must be 86 base64url characters (no padding), got 4."],
  ])("pairing response: refuses %s", (_name, path, member, code, message) => {
    rejects(() => parsePairingResponse(withMember(response, path, member)), code, message);
  });
});

describe("key lifetime beside the pairing request (pair.request message, POST /pair body)", () => {
  const request = wire(makePairingRequest());
  const requestId = "3f278df0-09a5-4933-91bc-c68bdbfb9f7d";

  it("is optional, and when present exactly persistent or session", () => {
    expect(parseHostToExtension({ type: "pair.request", requestId, request })).toEqual({ type: "pair.request", requestId, request });
    for (const keyLifetime of KEY_POLICIES) {
      expect(parseHostToExtension({ type: "pair.request", requestId, request, keyLifetime })).toEqual({
        type: "pair.request",
        requestId,
        request,
        keyLifetime,
      });
      expect(parsePairRequestBody({ request, keyLifetime })).toEqual({ request, keyLifetime });
    }
    expect(parsePairRequestBody({ request })).toEqual({ request });
  });

  it.each([["Session"], [""], ["forever"], [1], [null], [["session"]]])("refuses %j", (keyLifetime) => {
    expect(() => parseHostToExtension({ type: "pair.request", requestId, request, keyLifetime })).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED", message: expect.stringContaining("message.keyLifetime") }),
    );
    expect(() => parsePairRequestBody({ request, keyLifetime })).toThrow(
      expect.objectContaining({ code: "ERR_MALFORMED", message: expect.stringContaining("body.keyLifetime") }),
    );
  });

  it("is not part of the signed pairing request", () => {
    expect(() => parsePairingRequest({ ...request, keyLifetime: "session" })).toThrow(expect.objectContaining({ code: "ERR_MALFORMED" }));
  });
});

describe("parseHealthResponseBody (GET /health, read by the SDK and hitl doctor)", () => {
  const host = { version: "0.1.0", pid: 4242, port: 7331 };
  const { extensionVersion, browser, status } = EXTENSION_HELLO;
  const connected = { connected: true, extensionVersion, browser, ...status };

  it("reads both states, and nothing else", () => {
    expect(parseHealthResponseBody({ host, extension: { connected: false } })).toEqual({ host, extension: { connected: false } });
    expect(parseHealthResponseBody({ host, extension: { ...connected, kid: approver.kid } })).toEqual({
      host,
      extension: { ...connected, kid: approver.kid },
    });
  });

  it.each([
    ["not an object", [], "health must be a JSON object."],
    [
      "an unknown top-level member",
      { host, extension: { connected: false }, debug: 1 },
      "health.debug is not a known field (unknown fields are rejected, not ignored).",
    ],
    ["a host without its port", { host: { version: "0.1.0", pid: 1 }, extension: { connected: false } }, "health.host.port is missing."],
    [
      "a pid that is not an integer",
      { host: { ...host, pid: "1" }, extension: { connected: false } },
      "health.host.pid must be an integer.",
    ],
    [
      "a disconnected extension with a status",
      { host, extension: { connected: false, pending: 0 } },
      "health.extension.pending is not a known field (unknown fields are rejected, not ignored).",
    ],
    [
      "connected given as a string",
      { host, extension: { ...connected, connected: "yes" } },
      "health.extension.connected must be a boolean.",
    ],
    [
      "a connected extension without its status",
      { host, extension: { connected: true, extensionVersion: "0.1.0", browser: "chromium" } },
      "health.extension.keyPresent is missing.",
    ],
    ["a control character in the browser name", { host, extension: { ...connected, browser: "chro\u0007mium" } }, undefined],
  ])("refuses %s with ERR_MALFORMED", (_name, body, message) => {
    let thrown: unknown;
    try {
      parseHealthResponseBody(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "ERR_MALFORMED" });
    if (message !== undefined) expect((thrown as Error).message).toBe(message);
    else expect((thrown as Error).message).toMatch(/^health\.extension\.browser /);
  });
});

/** True when every object in the value enumerates its members in JCS order (UTF-16 code units). */
function inJcsOrder(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every(inJcsOrder);
  const keys = Object.keys(value);
  const sorted = [...keys].sort();
  return keys.every((k, i) => k === sorted[i]) && Object.values(value).every(inJcsOrder);
}

describe("property: every parser builds its output in JCS member order, at every level", () => {
  const name = fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom("a", "b", "B", "é", "😀", "\u20ac", "_", "z"));
  const details: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom<JsonValue>(null, true, false, 0, 1, -5, 4.5, "x"),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(name, tie("value"), { maxKeys: 4, noNullPrototype: true }),
    ),
  })).value;
  const safe = (d: JsonValue) => !/"(?:0|[1-9][0-9]*)"/.test(JSON.stringify(d)) && JSON.stringify(d).length < 4000;

  it("parseReceipt / parseReceiptJson / parseChallenge / parseDecisionStatement / parseJsonValue (no integer-like names)", () => {
    fc.assert(
      fc.property(details.filter(safe), fc.boolean(), (d, withDetails) => {
        const challenge = makeChallenge({ action: withDetails ? { summary: "s", details: d } : { summary: "s" } });
        // Members shuffled in the input: the parser must not keep the input order.
        const receipt = signReceipt(challenge, approver);
        const shuffled = JSON.parse(JSON.stringify(receipt, (_k, v) => reverseMembers(v)));
        expect(inJcsOrder(parseReceipt(shuffled))).toBe(true);
        expect(inJcsOrder(parseReceiptJson(JSON.stringify(shuffled)))).toBe(true);
        expect(inJcsOrder(parseChallenge(shuffled.challenge))).toBe(true);
        expect(inJcsOrder(parseDecisionStatement(shuffled.statement))).toBe(true);
        expect(inJcsOrder(parseJsonValue(reverseDeep(d), "d"))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("pairing documents too", () => {
    const request = makePairingRequest();
    const response = signPairing(request, approver);
    expect(inJcsOrder(parsePairingRequest(reverseDeep(request as unknown as JsonValue)))).toBe(true);
    expect(inJcsOrder(parsePairingResponse(reverseDeep(response as unknown as JsonValue)))).toBe(true);
  });
});

function reverseMembers(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).reverse());
}

function reverseDeep(value: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(value, (_k, v) => reverseMembers(v)));
}
