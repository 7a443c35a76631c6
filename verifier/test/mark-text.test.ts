import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { BLANK_RUN, describeCodePoint, isInvisibleCodePoint, markedPlainText, markText, STACKED_MARKS_RUN } from "../src/protocol/index.js";

const DEFAULT_IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const FORMAT = /^\p{Cf}$/u;

/** Every code point with the property, enumerated over the whole code space. */
function codePointsMatching(pattern: RegExp): number[] {
  const found: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) if (pattern.test(String.fromCodePoint(cp))) found.push(cp);
  return found;
}

describe("invisible characters", () => {
  const defaultIgnorable = codePointsMatching(DEFAULT_IGNORABLE);
  const format = codePointsMatching(FORMAT);

  test("the enumeration covers the whole properties (Unicode 15+: 4,174 Default_Ignorable, 170 Cf)", () => {
    expect(defaultIgnorable.length).toBeGreaterThanOrEqual(4174);
    expect(format.length).toBeGreaterThanOrEqual(170);
  });

  test.each([
    ["Default_Ignorable_Code_Point", defaultIgnorable],
    ["Cf", format],
  ])("every %s code point between two letters becomes one marker", (_property, codePoints) => {
    const unmarked: string[] = [];
    for (const cp of codePoints) {
      const { segments, counts } = markText(`a${String.fromCodePoint(cp)}b`);
      const expected = [
        { kind: "text", text: "a" },
        { kind: "invisible", codePoint: cp, label: describeCodePoint(cp) },
        { kind: "text", text: "b" },
      ];
      if (JSON.stringify(segments) !== JSON.stringify(expected) || counts.invisible !== 1) unmarked.push(cp.toString(16));
    }
    expect(unmarked).toEqual([]);
  });

  test("after an emoji, every one of them is still marked except U+FE0F (the emoji's colour form)", () => {
    const unmarked: number[] = [];
    for (const cp of new Set([...defaultIgnorable, ...format])) {
      if (markText(`👍${String.fromCodePoint(cp)}b`).counts.invisible !== 1) unmarked.push(cp);
    }
    expect(unmarked).toEqual([0xfe0f]);
  });

  test("variation selectors U+FE00–FE0E are marked with their names", () => {
    expect(markedPlainText("a\uFE00b\uFE0Ec")).toBe("a⟨U+FE00 VARIATION SELECTOR-1⟩b⟨U+FE0E VARIATION SELECTOR-15⟩c");
    expect(markedPlainText("a\u{E0100}")).toBe("a⟨U+E0100 VARIATION SELECTOR-17⟩");
  });

  test("tag characters spell out the ASCII they smuggle", () => {
    expect(markedPlainText("ok\u{E0041}\u{E0020}\u{E007E}")).toBe("ok⟨U+E0041 TAG A⟩⟨U+E0020 TAG SPACE⟩⟨U+E007E TAG ~⟩");
  });

  test.each([
    [0x0000, "⟨U+0000⟩"],
    [0x0007, "⟨U+0007⟩"],
    [0x000d, "⟨U+000D⟩"],
    [0x001b, "⟨U+001B⟩"],
    [0x007f, "⟨U+007F⟩"],
    [0x0085, "⟨U+0085⟩"],
    [0x2028, "⟨U+2028 LINE SEPARATOR⟩"],
    [0x2029, "⟨U+2029 PARAGRAPH SEPARATOR⟩"],
    [0xe000, "⟨U+E000⟩"], // private use: no agreed glyph
    [0x0378, "⟨U+0378⟩"], // unassigned
    [0xfffe, "⟨U+FFFE⟩"], // noncharacter
    [0xd800, "⟨U+D800⟩"], // a lone surrogate (the protocol refuses them; the display does not rely on it)
  ])("%i (control, separator, no glyph) is marked: %s", (cp, label) => {
    expect(markedPlainText(`a${String.fromCodePoint(cp)}b`)).toBe(`a${label}b`);
  });

  test("newline and tab stay what they are", () => {
    expect(isInvisibleCodePoint(0x0a)).toBe(false);
    expect(isInvisibleCodePoint(0x09)).toBe(false);
    expect(markText("a\nb\tc").segments).toEqual([{ kind: "text", text: "a\nb\tc" }]);
  });

  test.each([
    "delete /tmp/testfile",
    "Lösche «файл» 🗑️ — מחק את הקובץ — حذف",
    "e\u0301 n\u0303 (combining marks)",
    "👨‍👩‍👧 👩🏽‍🔬 🏳️‍🌈 🧑‍💻 (emoji joined by ZWJ) 1️⃣ #️⃣ ❤️",
    "漢字 かな 한국어",
  ])("ordinary text is left untouched: %s", (text) => {
    expect(markText(text)).toEqual({
      segments: [{ kind: "text", text }],
      counts: { invisible: 0, blankLines: 0, blanks: 0, mixedScript: 0, stackedMarks: 0 },
    });
  });

  test("a zero-width joiner between letters is marked, between emoji it is not", () => {
    expect(markText("pay\u200Dpal").counts.invisible).toBe(1);
    expect(markText("👨\u200D👩").counts.invisible).toBe(0);
    expect(markText("\u200D👩").counts.invisible).toBe(1);
    expect(markText("👩\u200D").counts.invisible).toBe(1);
    expect(markText("a\uFE0F").counts.invisible).toBe(1);
  });

  test("bidi override and pop", () => {
    expect(markedPlainText("report\u202Etxt.exe\u202C")).toBe(
      "report⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩txt.exe⟨U+202C POP DIRECTIONAL FORMATTING⟩",
    );
  });

  test("property: the plain rendering holds no invisible character outside an emoji sequence", () => {
    const hostile = fc.constantFrom(
      "a",
      "b",
      " ",
      "\n",
      "\t",
      "\u202E",
      "\u200B",
      "\u200D",
      "\uFE0F",
      "\uFE0E",
      "👩",
      "\u{E0041}",
      "\r",
      "а",
    );
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 60 }), (parts) => {
        const chars = Array.from(markedPlainText(parts.join("")));
        chars.forEach((char, i) => {
          const cp = char.codePointAt(0)!;
          if (!isInvisibleCodePoint(cp)) return;
          // only U+FE0F after an emoji, U+200D between pictographs, survive
          const ok =
            (cp === 0xfe0f && chars[i - 1] === "👩") || (cp === 0x200d && /\p{Extended_Pictographic}|\uFE0F/u.test(chars[i - 1] ?? ""));
          expect(ok, `U+${cp.toString(16)} at ${i} in ${JSON.stringify(chars.join(""))}`).toBe(true);
        });
      }),
      { numRuns: 2000 },
    );
  });
});

describe("blank lines and runs of blanks", () => {
  test("45 blank lines between two commands collapse into one visible marker", () => {
    const text = `rm -rf / --no-preserve-root${"\n".repeat(46)}Show the README (read-only).`;
    const marked = markText(text);
    expect(markedPlainText(text)).toBe("rm -rf / --no-preserve-root\n⟨45 blank lines⟩\nShow the README (read-only).");
    expect(marked.counts.blankLines).toBe(1);
    expect(marked.segments[1]).toEqual({ kind: "blank-lines", count: 45, label: "⟨45 blank lines⟩" });
  });

  test("lines of spaces and tabs count as blank; one blank line (a paragraph break) is kept", () => {
    expect(markedPlainText("a\n \n\t\n  \nb")).toBe("a\n⟨3 blank lines⟩\nb");
    expect(markedPlainText("a\n\nb")).toBe("a\n\nb");
    expect(markText("a\n\nb").counts.blankLines).toBe(0);
  });

  test("blank lines at the start and at the end collapse too", () => {
    expect(markedPlainText("\n\n\nrm -rf /")).toBe("⟨3 blank lines⟩\nrm -rf /");
    expect(markedPlainText("ls\n\n\n")).toBe("ls\n⟨3 blank lines⟩");
  });

  test("a line holding only an invisible character is not blank: the character is marked", () => {
    expect(markedPlainText("a\n\u200B\n\u200B\nb")).toBe("a\n⟨U+200B ZERO WIDTH SPACE⟩\n⟨U+200B ZERO WIDTH SPACE⟩\nb");
  });

  test(`runs of ${BLANK_RUN} or more spaces, tabs or other space characters collapse; shorter ones stay`, () => {
    const short = " ".repeat(BLANK_RUN - 1);
    expect(markedPlainText(`a${short}b`)).toBe(`a${short}b`);
    expect(markedPlainText(`a${" ".repeat(300)}b`)).toBe("a⟨300 spaces⟩b");
    expect(markedPlainText(`a${"\t \u3000\u00A0".repeat(5)}b`)).toBe("a⟨20 spaces⟩b");
    expect(markedPlainText(`${" ".repeat(40)}rm -rf /`)).toBe("⟨40 spaces⟩rm -rf /");
    expect(markText(`a${" ".repeat(300)}b`).counts.blanks).toBe(1);
  });

  test("keepIndentation leaves a line's leading blanks (pretty-printed JSON), not those inside it", () => {
    const indent = " ".repeat(32);
    expect(markedPlainText(`{\n${indent}"a": 1\n}`, { keepIndentation: true })).toBe(`{\n${indent}"a": 1\n}`);
    expect(markedPlainText(`${indent}"a":${indent}1`, { keepIndentation: true })).toBe(`${indent}"a":⟨32 spaces⟩1`);
  });

  test("options are checked, not coerced", () => {
    expect(() => markText("a", { keepIndentation: "yes" as unknown as boolean })).toThrow(
      "markText: options.keepIndentation must be a boolean.",
    );
    expect(() => markText(1 as unknown as string)).toThrow("markText: text must be a string.");
  });
});

describe("stacks of combining marks", () => {
  test(`${STACKED_MARKS_RUN} or more marks in a row (which draw over the lines around them) become one marker`, () => {
    const zalgo = `rm${"\u0351\u0364\u036b\u0300".repeat(50)} -rf`;
    expect(markedPlainText(zalgo)).toBe("rm⟨200 combining marks⟩ -rf");
    expect(markText(zalgo).counts.stackedMarks).toBe(1);
    const under = `a${"\u0301".repeat(STACKED_MARKS_RUN - 1)}b`;
    expect(markedPlainText(under)).toBe(under);
  });

  test("ordinary stacked writing is left alone: Vietnamese, Hebrew with points and cantillation, Devanagari, Thai", () => {
    for (const text of ["Việt Nam người", "בְּרֵאשִׁ֖ית", "क्षत्रिय", "น้ำ ที่"]) {
      expect(markText(text).counts.stackedMarks).toBe(0);
      expect(markedPlainText(text)).toBe(text);
    }
  });

  test("the word before a collapsed stack is still checked for mixed scripts", () => {
    expect(markedPlainText(`p\u0430y${"\u0301".repeat(9)}pal`)).toBe("p\u0430y⟨mixed scripts: Latin, Cyrillic⟩⟨9 combining marks⟩pal");
  });
});

describe("mixed-script words", () => {
  test.each([
    ["p\u0430yp\u0430l.com", "p\u0430yp\u0430l⟨mixed scripts: Latin, Cyrillic⟩.com", ["Latin", "Cyrillic"]],
    ["g\u03BFogle", "g\u03BFogle⟨mixed scripts: Latin, Greek⟩", ["Latin", "Greek"]],
    ["\u0391pple", "\u0391pple⟨mixed scripts: Greek, Latin⟩", ["Greek", "Latin"]],
    ["\u0455cript", "\u0455cript⟨mixed scripts: Cyrillic, Latin⟩", ["Cyrillic", "Latin"]],
    ["g\u0585\u0585gle", "g\u0585\u0585gle⟨mixed scripts: Latin, Armenian⟩", ["Latin", "Armenian"]],
    ["\u13AAdmin", "\u13AAdmin⟨mixed scripts: Cherokee, Latin⟩", ["Cherokee", "Latin"]],
    ["ра\u03C1", "ра\u03C1⟨mixed scripts: Cyrillic, Greek⟩", ["Cyrillic", "Greek"]],
    ["漢字\u0430", "漢字\u0430⟨mixed scripts: Han, Cyrillic⟩", ["Han", "Cyrillic"]],
  ])("%s is flagged", (text, plain, scripts) => {
    const marked = markText(text);
    expect(markedPlainText(text)).toBe(plain);
    expect(marked.counts.mixedScript).toBe(1);
    expect(marked.segments.find((s) => s.kind === "mixed-script")).toMatchObject({ scripts });
  });

  test.each([
    "paypal.com and www.example.org/path?q=1",
    "file2.txt v1.2-beta rm -rf ./build 3ème",
    "Lösche «файл» — naïve café Straße Ærø",
    "Ελληνικά русский Հայերեն עברית العربية हिन्दी ไทย",
    "ΑΒΓ and ABC, кириллица and latin", // each word is one script
    "東京Tower ひらがなカタカナ漢字abc 한국어abc ㄅㄆ中文abc", // UTS #39 CJK combinations with Latin
    "コーヒー 10µs ª º", // Common letters (prolonged sound mark, micro sign, ordinals) never mix
    "e\u0301 n\u0303 Z\u0351\u0364\u036b", // Inherited combining marks
    "12345 3.14 -- !@#$%^&*() 🙂",
  ])("no false positive: %s", (text) => {
    expect(markText(text).counts.mixedScript).toBe(0);
    expect(markedPlainText(text)).toBe(text);
  });
});
