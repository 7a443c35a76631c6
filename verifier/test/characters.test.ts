import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CHARACTER_TABLES_UNICODE_VERSION,
  forbiddenInIdentifier,
  formatCodePoint,
  hasVisibleCharacter,
  INVISIBLE_CHARACTERS,
  isVisibleCodePoint,
} from "../src/protocol/lib/characters.js";
import { readString } from "../src/protocol/lib/reader.js";

/*
 * The independent definition: the running engine's own Unicode property tables. The module's
 * tables are written out (so that every engine draws the same line); here they must equal
 * \p{...} of the engine for every code point, as long as the engine speaks the same Unicode
 * version the tables were taken from.
 */
const ENGINE_FORBIDDEN = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]$/u;
const ENGINE_INVISIBLE = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Zs}\p{White_Space}\p{Default_Ignorable_Code_Point}]$/u;
const SURROGATES = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

function codePoints(text: string): number[] {
  return Array.from(text, (c) => c.codePointAt(0)!);
}

describe("character tables", () => {
  it(`were taken from the Unicode version this engine speaks (${process.versions.unicode})`, () => {
    expect(process.versions.unicode).toBe(CHARACTER_TABLES_UNICODE_VERSION);
  });

  it("equal the engine's \\p{...} tables for every code point (exhaustive)", () => {
    const differences: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (SURROGATES(cp)) continue;
      const c = String.fromCodePoint(cp);
      if ((forbiddenInIdentifier(c) !== undefined) !== ENGINE_FORBIDDEN.test(c)) differences.push(`forbidden ${formatCodePoint(cp)}`);
      if (isVisibleCodePoint(cp) === ENGINE_INVISIBLE.test(c)) differences.push(`visible ${formatCodePoint(cp)}`);
    }
    expect(differences).toEqual([]);
  });

  it("name the characters the review found", () => {
    for (const cp of [
      0x2028, 0x2029, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x115f, 0x1160, 0x3164, 0xffa0, 0xe0001, 0xe0041, 0xe007f, 0xad, 0x180e,
    ]) {
      expect(forbiddenInIdentifier(`a${String.fromCodePoint(cp)}b`), formatCodePoint(cp)).toBe(cp);
      expect(isVisibleCodePoint(cp), formatCodePoint(cp)).toBe(false);
    }
    for (const cp of [0x20, 0xa0, 0x3000, 0x2003]) {
      expect(forbiddenInIdentifier(`a${String.fromCodePoint(cp)}b`), formatCodePoint(cp)).toBeUndefined();
      expect(isVisibleCodePoint(cp), formatCodePoint(cp)).toBe(false);
    }
    for (const text of ["\u200b", " \u3164 ", "\ufeff\u2060", "\u{e0041}\u{e0042}", "\u00a0\t\n", "\u115f"]) {
      expect(hasVisibleCharacter(text), JSON.stringify(text)).toBe(false);
    }
    for (const text of ["a", "\u200ba", "é", "😀", "\u3164x", "ש", "-"]) expect(hasVisibleCharacter(text), text).toBe(true);
  });

  it("mark every invisible code point in a display (global class)", () => {
    const marked = "a\u200bb\u3164c d".replace(INVISIBLE_CHARACTERS, (c) => `<${formatCodePoint(c.codePointAt(0)!)}>`);
    expect(marked).toBe("a<U+200B>b<U+3164>c<U+0020>d");
  });
});

describe("property: identifiers and blankness against the engine's tables", () => {
  // Mostly characters near the classes' edges, plus anything.
  const codePoint = fc.oneof(
    fc.constantFrom(0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x9f, 0xa0, 0xad, 0x34f, 0x61c, 0x115f, 0x1160, 0x200a, 0x200b, 0x2028, 0x202f, 0x2064),
    fc.constantFrom(0x2065, 0x206f, 0x3000, 0x3164, 0xfe0f, 0xfeff, 0xffa0, 0xfff9, 0xfffc, 0xe0000, 0xe0020, 0xe0fff, 0xe1000),
    fc.integer({ min: 0, max: 0x10ffff }).filter((cp) => !SURROGATES(cp)),
  );
  const text = fc.array(codePoint, { minLength: 1, maxLength: 12 }).map((cps) => String.fromCodePoint(...cps));

  it("readString(line) accepts exactly the non-empty strings with no forbidden and some visible code point", () => {
    fc.assert(
      fc.property(text, (value) => {
        const cps = codePoints(value);
        const expected =
          cps.every((cp) => !ENGINE_FORBIDDEN.test(String.fromCodePoint(cp))) &&
          cps.some((cp) => !ENGINE_INVISIBLE.test(String.fromCodePoint(cp)));
        let accepted = true;
        try {
          readString(value, "x", 1024, "line");
        } catch (error) {
          expect(error).toMatchObject({ name: "HitlError", code: "ERR_MALFORMED" });
          accepted = false;
        }
        expect(accepted).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it("hasVisibleCharacter is 'some code point outside White_Space, Zs, Cc, Cf, Zl, Zp and Default_Ignorable'", () => {
    fc.assert(
      fc.property(text, (value) => {
        expect(hasVisibleCharacter(value)).toBe(codePoints(value).some((cp) => !ENGINE_INVISIBLE.test(String.fromCodePoint(cp))));
      }),
      { numRuns: 5000 },
    );
  });
});
