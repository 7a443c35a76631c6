/*
 * Text shown to the human must not be able to masquerade as other text. Characters that are
 * invisible or that reorder the display (bidi overrides and isolates, zero-width characters, C0/C1
 * controls other than newline and tab, tag characters...) are turned into visible markers such as
 * "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩", and the window warns that they are there.
 */

const NAMES: Record<number, string> = {
  173: "SOFT HYPHEN",
  847: "COMBINING GRAPHEME JOINER",
  1564: "ARABIC LETTER MARK",
  4447: "HANGUL CHOSEONG FILLER",
  4448: "HANGUL JUNGSEONG FILLER",
  6158: "MONGOLIAN VOWEL SEPARATOR",
  8203: "ZERO WIDTH SPACE",
  8204: "ZERO WIDTH NON-JOINER",
  8205: "ZERO WIDTH JOINER",
  8206: "LEFT-TO-RIGHT MARK",
  8207: "RIGHT-TO-LEFT MARK",
  8232: "LINE SEPARATOR",
  8233: "PARAGRAPH SEPARATOR",
  8234: "LEFT-TO-RIGHT EMBEDDING",
  8235: "RIGHT-TO-LEFT EMBEDDING",
  8236: "POP DIRECTIONAL FORMATTING",
  8237: "LEFT-TO-RIGHT OVERRIDE",
  8238: "RIGHT-TO-LEFT OVERRIDE",
  8288: "WORD JOINER",
  8294: "LEFT-TO-RIGHT ISOLATE",
  8295: "RIGHT-TO-LEFT ISOLATE",
  8296: "FIRST STRONG ISOLATE",
  8297: "POP DIRECTIONAL ISOLATE",
  12644: "HANGUL FILLER",
  65279: "ZERO WIDTH NO-BREAK SPACE",
  65440: "HALFWIDTH HANGUL FILLER",
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

const PICTOGRAPHIC = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)$/u;

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
