/*
 * What counts as an invisible character, and how it is named in a marker. Shared by the approval
 * window, the pairing window, the popup and the CLI (through mark-text.ts), so all of them show
 * the same text the same way.
 *
 * Invisible = every Default_Ignorable_Code_Point, every format character (Cf: bidi embeddings,
 * overrides, isolates and marks, zero-width characters, tags...), every control character (Cc)
 * except newline and tab, line and paragraph separators (Zl, Zp), and code points with no agreed
 * glyph: surrogates, private use, unassigned (Cs, Co, Cn). Each is shown as "⟨U+XXXX NAME⟩".
 */
const INVISIBLE = /^[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]$/u;
const NEWLINE = 0x0a;
const TAB = 0x09;

export function isInvisibleCodePoint(cp: number): boolean {
  if (cp === NEWLINE || cp === TAB) return false; // shown as what they are
  return INVISIBLE.test(String.fromCodePoint(cp));
}

/* Emoji sequences legitimately use two of them; anywhere else they are marked. */
const EMOJI_BASE = /^\p{Emoji}$/u;
const BEFORE_JOINER = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier})$/u;
const AFTER_JOINER = /^\p{Extended_Pictographic}$/u;
const ZERO_WIDTH_JOINER = 0x200d;
const EMOJI_PRESENTATION_SELECTOR = 0xfe0f;

/**
 * U+FE0F right after an emoji ("🗑️") asks for its colour form; U+200D between two pictographs
 * ("👩🏽‍🔬") builds one emoji. Both are part of what the human sees, so they are left alone there.
 */
export function isEmojiSequencePart(chars: readonly string[], i: number): boolean {
  const cp = chars[i]?.codePointAt(0);
  const before = chars[i - 1];
  if (cp === EMOJI_PRESENTATION_SELECTOR) return before !== undefined && EMOJI_BASE.test(before);
  if (cp === ZERO_WIDTH_JOINER) {
    const after = chars[i + 1];
    if (before === undefined || after === undefined || !AFTER_JOINER.test(after)) return false;
    // "🏳️‍🌈": after a U+FE0F only if that one was itself kept (it followed an emoji).
    return BEFORE_JOINER.test(before) || (before.codePointAt(0) === EMOJI_PRESENTATION_SELECTOR && isEmojiSequencePart(chars, i - 1));
  }
  return false;
}

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

function nameOf(cp: number): string | undefined {
  const named = NAMES[cp];
  if (named !== undefined) return named;
  if (cp >= 0xfe00 && cp <= 0xfe0f) return `VARIATION SELECTOR-${cp - 0xfe00 + 1}`;
  if (cp >= 0xe0100 && cp <= 0xe01ef) return `VARIATION SELECTOR-${cp - 0xe0100 + 17}`;
  // Tag characters mirror ASCII and can smuggle a whole hidden sentence: spell out which letter.
  if (cp >= 0xe0021 && cp <= 0xe007e) return `TAG ${String.fromCodePoint(cp - 0xe0000)}`;
  if (cp === 0xe0020) return "TAG SPACE";
  return undefined;
}

/** "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩", or "⟨U+0007⟩" for a character without a well-known name. */
export function describeCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  const name = nameOf(cp);
  return name === undefined ? `⟨U+${hex}⟩` : `⟨U+${hex} ${name}⟩`;
}
