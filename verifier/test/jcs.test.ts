import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalize, canonicalizeParsed, canonicalizeTree, isWellFormed, isWellFormedPortable, utf8Length } from "../src/protocol/jcs.js";
import type { JsonValue } from "../src/protocol/types.js";
import { type ParseNotes, parseChallenge } from "../src/protocol/validate.js";
import { makeChallenge } from "../src/testing/index.js";

/** IEEE 754 double from 16 hex digits. */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

/** A copy whose objects have their members inserted in sorted order (the parsers' output shape). */
function sortedCopy(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  const out = {};
  for (const key of Object.keys(value).sort()) {
    Object.defineProperty(out, key, {
      value: sortedCopy((value as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe("RFC 8785 examples", () => {
  it("section 3.2.2: literals, numbers and string escapes", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("section 3.2.3: member names sorted by UTF-16 code units, not code points", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["41b3de4355555555", "333333333.3333333"],
  ])("section 3.2.2.3 / appendix B number %s serializes as %s", (bits, text) => {
    expect(canonicalize(fromBits(bits))).toBe(text);
    expect(canonicalize([fromBits(bits)])).toBe(`[${text}]`);
  });

  it("no whitespace, nested arrays and objects sorted at every level", () => {
    expect(canonicalize({ b: [3, { z: 1, a: [] }], a: {} })).toBe('{"a":{},"b":[3,{"a":[],"z":1}]}');
  });

  it("integer-like member names sort as strings ('10' < '9'), unlike JS property order", () => {
    expect(canonicalize({ "9": "nine", "10": "ten", a: 1 })).toBe('{"10":"ten","9":"nine","a":1}');
  });

  it("undefined members are omitted, as absent optional fields", () => {
    expect(canonicalize({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it("a member named __proto__ (as JSON.parse creates it) is kept", () => {
    expect(canonicalize(JSON.parse('{"z":1,"__proto__":{"b":1,"a":2}}'))).toBe('{"__proto__":{"a":2,"b":1},"z":1}');
  });
});

describe("values that have no canonical form", () => {
  it.each([
    ["NaN", Number.NaN, "ERR_MALFORMED", "Numbers must be finite: NaN and Infinity have no JSON form."],
    ["Infinity", Number.POSITIVE_INFINITY, "ERR_MALFORMED", "Numbers must be finite: NaN and Infinity have no JSON form."],
    [
      "a nested -Infinity",
      { a: [Number.NEGATIVE_INFINITY] },
      "ERR_MALFORMED",
      "Numbers must be finite: NaN and Infinity have no JSON form.",
    ],
    [
      "a lone surrogate",
      "x\ud800y",
      "ERR_INVALID_ENCODING",
      "A string contains a lone UTF-16 surrogate; only valid Unicode can be signed.",
    ],
    [
      "a lone surrogate in a member name",
      { "\udc00": 1 },
      "ERR_INVALID_ENCODING",
      "A string contains a lone UTF-16 surrogate; only valid Unicode can be signed.",
    ],
    ["a Date", new Date(0), "ERR_MALFORMED", "Only plain JSON objects can be canonicalized."],
    ["a Map", { m: new Map() }, "ERR_MALFORMED", "Only plain JSON objects can be canonicalized."],
    ["undefined in an array", [1, undefined], "ERR_MALFORMED", "A undefined has no JSON form."],
    ["a function member", { f: () => 1 }, "ERR_MALFORMED", "A function has no JSON form."],
    ["a bigint", 1n, "ERR_MALFORMED", "A bigint has no JSON form."],
    ["a symbol", Symbol("s"), "ERR_MALFORMED", "A symbol has no JSON form."],
  ])("%s is refused", (_name, value, code, message) => {
    expect(() => canonicalize(value)).toThrow(expect.objectContaining({ code, message }));
    expect(() => canonicalizeTree(value)).toThrow(expect.objectContaining({ code, message }));
  });

  it("an own toJSON function is never called: the value is refused", () => {
    let called = false;
    const value = {
      a: 1,
      toJSON: () => {
        called = true;
        return "x";
      },
    };
    expect(() => canonicalize(value)).toThrow(expect.objectContaining({ code: "ERR_MALFORMED", message: "A function has no JSON form." }));
    expect(called).toBe(false);
  });

  it("an array with a toJSON member is serialized as its elements (fast path not taken)", () => {
    const array = Object.assign([1, 2], { toJSON: () => "hijacked" });
    expect(canonicalize(array)).toBe("[1,2]");
  });
});

describe("fast path equals the member-by-member serialization", () => {
  it("for arbitrary JSON, in parsed order and in sorted order", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = canonicalizeTree(value);
        expect(canonicalize(value)).toBe(expected);
        expect(canonicalize(sortedCopy(value))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("for objects with awkward member names (integers, __proto__, surrogate pairs, empty)", () => {
    const name = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.constantFrom("0", "1", "10", "9", "01", "-1", "4294967295", "4294967294", "__proto__", "toJSON", ""),
    );
    fc.assert(
      fc.property(fc.dictionary(name, fc.jsonValue({ maxDepth: 2 })), (value) => {
        const run = (f: (v: unknown) => string, v: unknown) => {
          try {
            return f(v);
          } catch (error) {
            return (error as Error).message;
          }
        };
        expect(run(canonicalize, sortedCopy(value))).toBe(run(canonicalizeTree, value));
        expect(run(canonicalize, value)).toBe(run(canonicalizeTree, value));
      }),
      { numRuns: 2000 },
    );
  });

  it("the parser's verdict (ParseNotes) is right: when it says JSON.stringify is canonical, it is", () => {
    const name = fc.oneof(
      fc.string({ unit: "grapheme" }),
      fc.constantFrom("0", "1", "10", "9", "01", "-1", "4294967295", "4294967294", "9007199254740993", "__proto__", "toJSON", "b", ""),
    );
    // NUL is refused in details, so it is left out here: every generated document parses.
    const text = fc.string({ unit: "grapheme" }).map((t) => t.replaceAll("\u0000", "0"));
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        text,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        tie("array"),
        tie("object"),
      ),
      array: fc.array(tie("value"), { maxLength: 3 }),
      object: fc.dictionary(
        name.map((n) => n.replaceAll("\u0000", "0")),
        tie("value"),
        { maxKeys: 4, noNullPrototype: true },
      ),
    }));
    let saidCanonical = 0;
    let saidNot = 0;
    fc.assert(
      fc.property(json.object, (details) => {
        const wire = JSON.parse(JSON.stringify(makeChallenge({ action: { summary: "x", details: details as JsonValue } })));
        const notes: ParseNotes = { stringifyIsCanonical: true };
        const parsed = parseChallenge(wire, "challenge", notes);
        const expected = canonicalizeTree(parsed);
        if (notes.stringifyIsCanonical) {
          saidCanonical++;
          expect(JSON.stringify(parsed)).toBe(expected);
        } else saidNot++;
        expect(canonicalizeParsed(parsed, notes.stringifyIsCanonical)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    // Both verdicts were exercised.
    expect(saidCanonical).toBeGreaterThan(100);
    expect(saidNot).toBeGreaterThan(100);
  });

  it("ParseNotes: an integer-like member name anywhere in details turns the shortcut off", () => {
    for (const details of [{ "10": 1, "9": 2 }, { a: [{ "0": true }] }, { b: { c: { "7": null } } }]) {
      const notes: ParseNotes = { stringifyIsCanonical: true };
      const parsed = parseChallenge(makeChallenge({ action: { summary: "x", details } }), "challenge", notes);
      expect(notes.stringifyIsCanonical).toBe(false);
      expect(canonicalizeParsed(parsed, false)).toBe(canonicalizeTree(parsed));
    }
    const notes: ParseNotes = { stringifyIsCanonical: true };
    parseChallenge(makeChallenge({ action: { summary: "x", details: { "01": 1, "-1": 2, "1.5": 3, z: { y: "0" } } } }), "challenge", notes);
    expect(notes.stringifyIsCanonical).toBe(true);
  });

  it("canonicalizeParsed never trusts JSON.stringify while a prototype carries toJSON", () => {
    const value = { b: 1, a: 2 };
    (Object.prototype as { toJSON?: unknown }).toJSON = () => "polluted";
    try {
      expect(canonicalizeParsed(value, true)).toBe('{"a":2,"b":1}');
    } finally {
      delete (Object.prototype as { toJSON?: unknown }).toJSON;
    }
  });

  it("canonicalize round-trips: parsing the output gives back the same canonical text", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
        // JCS output is valid JSON that means the same value (-0 becomes 0).
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("string helpers", () => {
  it("isWellFormed and its portable twin agree", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(isWellFormed(text)).toBe(isWellFormedPortable(text));
      }),
    );
    expect(isWellFormedPortable("a\ud800")).toBe(false);
    expect(isWellFormedPortable("\udc00a")).toBe(false);
    expect(isWellFormedPortable("😀")).toBe(true);
  });

  it("utf8Length equals the encoded length", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      }),
    );
  });
});
