import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertBase64url, decodeBase64url, encodeBase64url } from "../src/protocol/base64url.js";

describe("base64url (RFC 4648 section 5, no padding), strict", () => {
  it("round-trips every byte string and matches Node's encoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString("base64url"));
        expect(decodeBase64url(text)).toEqual(bytes);
        expect(() => assertBase64url(text)).not.toThrow();
      }),
    );
  });

  it.each([
    ["padding", "AAE=", "x is not valid base64url: unexpected character at position 3 (use A-Z a-z 0-9 - _ and no padding)."],
    ["standard '+'", "ab+d", "x is not valid base64url: unexpected character at position 2 (use A-Z a-z 0-9 - _ and no padding)."],
    ["standard '/'", "ab/d", "x is not valid base64url: unexpected character at position 2 (use A-Z a-z 0-9 - _ and no padding)."],
    ["whitespace", "ab d", "x is not valid base64url: unexpected character at position 2 (use A-Z a-z 0-9 - _ and no padding)."],
    [
      "a non-ASCII look-alike",
      "abcé",
      "x is not valid base64url: unexpected character at position 3 (use A-Z a-z 0-9 - _ and no padding).",
    ],
    ["an impossible length", "abcde", "x is not valid base64url: impossible length 5."],
    ["non-zero trailing bits (2 chars)", "AB", "x is not canonical base64url: trailing bits are not zero."],
    ["non-zero trailing bits (3 chars)", "AAB", "x is not canonical base64url: trailing bits are not zero."],
  ])("refuses %s", (_name, text, message) => {
    expect(() => decodeBase64url(text, "x")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ENCODING", message }));
    expect(() => assertBase64url(text, "x")).toThrow(expect.objectContaining({ code: "ERR_INVALID_ENCODING", message }));
  });

  it("has exactly one encoding per byte string: whatever it accepts re-encodes to itself", () => {
    const bytes = randomBytes(31); // 42 characters: the last one carries 4 unused bits
    const text = encodeBase64url(bytes);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let sameBytes = 0;
    for (const c of alphabet) {
      const candidate = text.slice(0, -1) + c;
      let decoded: Uint8Array;
      try {
        decoded = decodeBase64url(candidate);
      } catch (error) {
        expect(error).toMatchObject({ code: "ERR_INVALID_ENCODING" });
        continue;
      }
      expect(encodeBase64url(decoded)).toBe(candidate);
      if (Buffer.from(decoded).equals(bytes)) sameBytes++;
    }
    expect(sameBytes).toBe(1);
  });

  it("assertBase64url accepts and refuses exactly what decodeBase64url does", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."ABab09-_+/= ".split("")), maxLength: 12 }), (text) => {
        let decoded: string | undefined;
        let asserted: string | undefined;
        try {
          decodeBase64url(text);
        } catch (error) {
          decoded = (error as Error).message;
        }
        try {
          assertBase64url(text);
        } catch (error) {
          asserted = (error as Error).message;
        }
        expect(asserted).toBe(decoded);
      }),
      { numRuns: 3000 },
    );
  });
});
