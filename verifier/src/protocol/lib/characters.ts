/*
 * The character classes of the protocol, defined once (docs/protocol.md §1, "Characters").
 * Parsers use them to refuse identifiers that could display as something else; the approval
 * window and the CLI use the same classes to mark what a human cannot see.
 *
 * The tables are written out, not taken from the engine's \p{...} tables, so that every engine
 * (Node, Chromium, Firefox, whatever Unicode version each ships) draws the same line: a
 * challenge one side accepts, the other side accepts too. They are the Unicode 17.0 property
 * values; verifier/test/characters.test.ts compares them with the running engine's tables.
 * Default_Ignorable_Code_Point covers its unassigned reserved ranges too (U+2065, U+FFF0–FFF8,
 * U+E0000–E0FFF), so a later Unicode version can only add to it where hitl already refuses.
 */

/** The Unicode version the tables below were taken from. */
export const CHARACTER_TABLES_UNICODE_VERSION = "17.0";

/**
 * NOT ALLOWED IN A ONE-LINE IDENTIFIER: General_Category Cc (controls, incl. C1), Cf (format:
 * bidi controls, zero-width characters, U+FEFF, tag characters U+E0001/U+E0020–E007F, soft
 * hyphen), Zl (U+2028), Zp (U+2029), and Default_Ignorable_Code_Point (among others the Hangul
 * fillers U+115F, U+1160, U+3164, U+FFA0, variation selectors, U+034F, and the reserved ranges).
 */
const IDENTIFIER_FORBIDDEN_CLASS =
  "\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\\u{110bd}\\u{110cd}\\u{13430}-\\u{1343f}\\u{1bca0}-\\u{1bca3}\\u{1d173}-\\u{1d17a}\\u{e0000}-\\u{e0fff}";

/**
 * INVISIBLE: the identifier-forbidden class plus White_Space and Zs (U+0009–000D, U+0020,
 * U+0085, U+00A0, U+1680, U+2000–200A, U+202F, U+205F, U+3000). A VISIBLE character is any
 * code point outside this class. Lone surrogates never get here (strings are checked
 * well-formed first).
 */
const INVISIBLE_CLASS = `${IDENTIFIER_FORBIDDEN_CLASS}\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u202f\\u205f\\u3000`;

/** Matches one code point that a one-line identifier must not contain. */
export const IDENTIFIER_FORBIDDEN = new RegExp(`[${IDENTIFIER_FORBIDDEN_CLASS}]`, "u");

/** Every code point a one-line identifier must not contain; global, for escaping them in a display. */
export const IDENTIFIER_FORBIDDEN_CHARACTERS = new RegExp(`[${IDENTIFIER_FORBIDDEN_CLASS}]`, "gu");

/** Matches one invisible code point (see INVISIBLE_CLASS); global, for marking them in a display. */
export const INVISIBLE_CHARACTERS = new RegExp(`[${INVISIBLE_CLASS}]`, "gu");

const VISIBLE = new RegExp(`[^${INVISIBLE_CLASS}]`, "u");

/** The first code point a one-line identifier must not contain, or undefined. */
export function forbiddenInIdentifier(text: string): number | undefined {
  const match = IDENTIFIER_FORBIDDEN.exec(text);
  return match === null ? undefined : match[0].codePointAt(0);
}

/** Not blank: at least one code point outside the invisible class. */
export function hasVisibleCharacter(text: string): boolean {
  return VISIBLE.test(text);
}

/** True for a code point a human can see (outside the invisible class). */
export function isVisibleCodePoint(codePoint: number): boolean {
  return VISIBLE.test(String.fromCodePoint(codePoint));
}

/** "U+200B": how messages and displays name a code point. */
export function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}
