import { describeCodePoint, isEmojiSequencePart, isInvisibleCodePoint } from "./lib/invisible.js";
import { mixedScripts, WORD_CHARACTER } from "./lib/scripts.js";

/*
 * How free text (an action summary, its details, a requester's name...) is put in front of a
 * human, by the approval window, the pairing window and the CLI alike. Nothing may look like
 * something it is not, and nothing may be pushed out of view:
 * - invisible characters (lib/invisible.ts) become markers: "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩";
 * - two or more blank lines in a row become one marker: "⟨45 blank lines⟩";
 * - a run of BLANK_RUN or more spaces/tabs becomes a marker: "⟨300 spaces⟩";
 * - a word mixing scripts (lib/scripts.ts) is kept and followed by "⟨mixed scripts: Latin, Cyrillic⟩";
 * - a stack of STACKED_MARKS_RUN or more combining marks (which draws over the lines around it)
 *   becomes a marker: "⟨200 combining marks⟩".
 * Every character of the input is either shown as itself or accounted for by a marker.
 */

/** Runs of this many blank characters (space, tab, other Zs) or more are collapsed into a marker. */
export const BLANK_RUN = 16;
/** A line of nothing but blank characters; a run of two or more of them is collapsed. */
const BLANK_LINE_RUN = 2;
const BLANK = /^[\t\p{Zs}]$/u;
/** Stacks of this many combining marks or more are collapsed (ordinary writing uses at most ~4). */
export const STACKED_MARKS_RUN = 8;
const COMBINING = /^\p{M}$/u;

export type MarkedSegment =
  | { kind: "text"; text: string }
  | { kind: "invisible"; codePoint: number; label: string }
  | { kind: "blank-lines"; count: number; label: string }
  | { kind: "blanks"; count: number; label: string }
  | { kind: "stacked-marks"; count: number; label: string }
  | { kind: "mixed-script"; text: string; scripts: string[]; label: string };

export interface MarkedText {
  segments: MarkedSegment[];
  /** How many of each marker; all zero means the text is shown exactly as it is. */
  counts: { invisible: number; blankLines: number; blanks: number; mixedScript: number; stackedMarks: number };
}

export interface MarkTextOptions {
  /**
   * Leave blanks at the start of a line as they are (default false). Only for text whose
   * indentation the caller produced itself, such as JSON.stringify(value, null, 2), in which no
   * string can start a line.
   */
  keepIndentation?: boolean;
}

export function markText(text: string, options: MarkTextOptions = {}): MarkedText {
  if (typeof text !== "string") throw new TypeError("markText: text must be a string.");
  const keepIndentation = options.keepIndentation ?? false;
  if (typeof keepIndentation !== "boolean") throw new TypeError("markText: options.keepIndentation must be a boolean.");

  const out = new SegmentList();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; ) {
    if (i > 0) out.text("\n");
    let end = i;
    while (end < lines.length && isBlankLine(lines[end]!)) end++;
    if (end - i >= BLANK_LINE_RUN) {
      out.marker({ kind: "blank-lines", count: end - i, label: `⟨${end - i} blank lines⟩` });
      i = end;
      continue;
    }
    markLine(Array.from(lines[i]!), keepIndentation, out);
    i++;
  }
  return { segments: out.segments, counts: out.counts };
}

function isBlankLine(line: string): boolean {
  for (const char of line) if (!BLANK.test(char)) return false;
  return true;
}

function markLine(chars: readonly string[], keepIndentation: boolean, out: SegmentList): void {
  let i = 0;
  if (keepIndentation) {
    while (i < chars.length && BLANK.test(chars[i]!)) out.text(chars[i++]!);
  }
  while (i < chars.length) {
    const char = chars[i]!;
    const cp = char.codePointAt(0)!;
    // Invisible first: variation selectors and the grapheme joiner are combining marks (\p{M}).
    if (isInvisibleCodePoint(cp) && !isEmojiSequencePart(chars, i)) {
      out.marker({ kind: "invisible", codePoint: cp, label: describeCodePoint(cp) });
      i++;
    } else if (BLANK.test(char)) {
      const end = runEnd(chars, i, (c) => BLANK.test(c));
      if (end - i >= BLANK_RUN) out.marker({ kind: "blanks", count: end - i, label: `⟨${end - i} spaces⟩` });
      else out.text(chars.slice(i, end).join(""));
      i = end;
    } else if (isCombining(char) && runEnd(chars, i, isCombining) - i >= STACKED_MARKS_RUN) {
      const end = runEnd(chars, i, isCombining);
      out.marker({ kind: "stacked-marks", count: end - i, label: `⟨${end - i} combining marks⟩` });
      i = end;
    } else if (isWordCharacter(char)) {
      const end = wordEnd(chars, i);
      const word = chars.slice(i, end).join("");
      const scripts = mixedScripts(word);
      if (scripts === undefined) out.text(word);
      else out.marker({ kind: "mixed-script", text: word, scripts, label: `⟨mixed scripts: ${scripts.join(", ")}⟩` });
      i = end;
    } else {
      out.text(char);
      i++;
    }
  }
}

/** Letters and combining marks, but not the invisible ones (an emoji's U+FE0F ends a word). */
function isWordCharacter(char: string): boolean {
  return WORD_CHARACTER.test(char) && !isInvisibleCodePoint(char.codePointAt(0)!);
}

function isCombining(char: string): boolean {
  return COMBINING.test(char) && !isInvisibleCodePoint(char.codePointAt(0)!);
}

/** A word ends where a stack of marks long enough to be collapsed begins. */
function wordEnd(chars: readonly string[], start: number): number {
  let end = start;
  while (end < chars.length && isWordCharacter(chars[end]!)) {
    if (end > start && isCombining(chars[end]!) && runEnd(chars, end, isCombining) - end >= STACKED_MARKS_RUN) break;
    end++;
  }
  return end;
}

function runEnd(chars: readonly string[], start: number, belongs: (char: string) => boolean): number {
  let end = start;
  while (end < chars.length && belongs(chars[end]!)) end++;
  return end;
}

/** Collects segments, merging adjacent plain text, and counts the markers. */
class SegmentList {
  readonly segments: MarkedSegment[] = [];
  readonly counts = { invisible: 0, blankLines: 0, blanks: 0, mixedScript: 0, stackedMarks: 0 };

  text(text: string): void {
    const last = this.segments.at(-1);
    if (last?.kind === "text") last.text += text;
    else this.segments.push({ kind: "text", text });
  }

  marker(segment: Exclude<MarkedSegment, { kind: "text" }>): void {
    this.segments.push(segment);
    if (segment.kind === "invisible") this.counts.invisible++;
    else if (segment.kind === "blank-lines") this.counts.blankLines++;
    else if (segment.kind === "blanks") this.counts.blanks++;
    else if (segment.kind === "stacked-marks") this.counts.stackedMarks++;
    else this.counts.mixedScript++;
  }
}
