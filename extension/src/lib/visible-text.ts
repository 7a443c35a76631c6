/*
 * Text shown to the human must not be able to masquerade as other text. Characters that are
 * invisible or that reorder the display (bidi overrides and isolates, zero-width characters, C0/C1
 * controls other than newline and tab, tag characters...) are turned into visible markers such as
 * "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩", and the window warns that they are there.
 */

const NAMES: Record<number, string> = {
  0x00ad: "SOFT HYPHEN",
  0x034f: "COMBINING GRAPHEME JOINER",
  0x061c: "ARABIC LETTER MARK",
  0x115f: "HANGUL CHOSEONG FILLER",
  0x1160: "HANGUL JUNGSEONG FILLER",
  0x180e: "MONGOLIAN VOWEL SEPARATOR",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZERO WIDTH NON-JOINER",
  0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK",
  0x200f: "RIGHT-TO-LEFT MARK",
  0x2028: "LINE SEPARATOR",
  0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2060: "WORD JOINER",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0x3164: "HANGUL FILLER",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE",
  0xffa0: "HALFWIDTH HANGUL FILLER",
};

function isSuspicious(cp: number): boolean {
  if (cp === 0x0a || cp === 0x09) return false; // newline and tab are shown as such
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return true;
  if (cp in NAMES) return true;
  if (cp >= 0x2061 && cp <= 0x2064) return true; // invisible math operators
  if (cp >= 0x206a && cp <= 0x206f) return true; // deprecated format characters
  if (cp >= 0xfff9 && cp <= 0xfffb) return true; // interlinear annotation
  if (cp >= 0xe0000 && cp <= 0xe007f) return true; // tag characters
  return false;
}

const PICTOGRAPHIC = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\uFE0F]/u;

/** A zero-width joiner between two emoji builds one emoji (a family, a profession): legitimate. */
function isEmojiJoiner(chars: readonly string[], i: number): boolean {
  const before = chars[i - 1];
  const after = chars[i + 1];
  return before !== undefined && after !== undefined && PICTOGRAPHIC.test(before) && PICTOGRAPHIC.test(after);
}

export type Segment = { kind: "text"; text: string } | { kind: "hidden"; codePoint: number; label: string };

export function describeCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  const name = NAMES[cp];
  return name === undefined ? `⟨U+${hex}⟩` : `⟨U+${hex} ${name}⟩`;
}

/** Split text into plain runs and markers for invisible or reordering characters. */
export function segmentText(text: string): Segment[] {
  const chars = Array.from(text);
  const segments: Segment[] = [];
  let run = "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const cp = ch.codePointAt(0)!;
    if (isSuspicious(cp) && !(cp === 0x200d && isEmojiJoiner(chars, i))) {
      if (run !== "") segments.push({ kind: "text", text: run });
      run = "";
      segments.push({ kind: "hidden", codePoint: cp, label: describeCodePoint(cp) });
    } else {
      run += ch;
    }
  }
  if (run !== "") segments.push({ kind: "text", text: run });
  return segments;
}

/** How many markers the text would show; 0 means it displays exactly as it is. */
export function countHidden(text: string): number {
  return segmentText(text).filter((s) => s.kind === "hidden").length;
}
