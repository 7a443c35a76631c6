import { describe, expect, test } from "vitest";
import { countHidden, describeCodePoint, segmentText } from "../src/lib/visible-text.js";

const render = (text: string) =>
  segmentText(text)
    .map((s) => (s.kind === "text" ? s.text : s.label))
    .join("");

describe("segmentText", () => {
  test.each([
    "delete /tmp/testfile",
    "Lösche «файл» 🗑️ — מחק את הקובץ — حذف",
    "line 1\nline 2\tafter a tab",
    "e\u0301 n\u0303 (combining marks)",
    "👨‍👩‍👧 👩🏽‍🔬 🏳️‍🌈 🧑‍💻 (emoji joined by ZWJ)",
    "漢字 かな 한국어",
  ])("leaves ordinary text untouched: %s", (text) => {
    expect(segmentText(text)).toEqual([{ kind: "text", text }]);
    expect(countHidden(text)).toBe(0);
  });

  test("bidi override and pop become visible markers", () => {
    const tricky = "report\u202Etxt.exe\u202C";
    expect(render(tricky)).toBe("report⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩txt.exe⟨U+202C POP DIRECTIONAL FORMATTING⟩");
    expect(countHidden(tricky)).toBe(2);
  });

  test.each([
    [0x200b, "⟨U+200B ZERO WIDTH SPACE⟩"],
    [0x200e, "⟨U+200E LEFT-TO-RIGHT MARK⟩"],
    [0x2066, "⟨U+2066 LEFT-TO-RIGHT ISOLATE⟩"],
    [0xfeff, "⟨U+FEFF ZERO WIDTH NO-BREAK SPACE⟩"],
    [0x00ad, "⟨U+00AD SOFT HYPHEN⟩"],
    [0x0007, "⟨U+0007⟩"],
    [0x001b, "⟨U+001B⟩"],
    [0x0085, "⟨U+0085⟩"],
    [0x2028, "⟨U+2028 LINE SEPARATOR⟩"],
    [0xe0041, "⟨U+E0041⟩"],
  ])("code point %i is shown as a marker", (cp, label) => {
    const text = `a${String.fromCodePoint(cp)}b`;
    expect(segmentText(text)).toEqual([
      { kind: "text", text: "a" },
      { kind: "hidden", codePoint: cp, label },
      { kind: "text", text: "b" },
    ]);
  });

  test("a zero-width joiner between letters is suspicious, between emoji it is not", () => {
    expect(countHidden("pay\u200Dpal")).toBe(1);
    expect(countHidden("👨\u200D👩")).toBe(0);
    expect(countHidden("\u200D👩")).toBe(1);
  });

  test("markers are the only change: removing them gives back the input without the hidden characters", () => {
    const text = "a\u202Eb\u200Bc";
    const plain = segmentText(text)
      .filter((s) => s.kind === "text")
      .map((s) => (s.kind === "text" ? s.text : ""))
      .join("");
    expect(plain).toBe("abc");
  });

  test("describeCodePoint pads to four hex digits", () => {
    expect(describeCodePoint(0x7f)).toBe("⟨U+007F⟩");
  });
});
