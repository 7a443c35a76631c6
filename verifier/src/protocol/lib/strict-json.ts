import { HitlError } from "../errors.js";

/**
 * JSON text as hitl reads it (docs/protocol.md §1, "JSON text"). On top of RFC 8259:
 * - no byte order mark: the text is UTF-8 and starts with the JSON value (ERR_INVALID_ENCODING);
 * - member names unique within an object, compared after unescaping: JSON.parse keeps the LAST
 *   of two equal names, other parsers the first, so a document with duplicates can mean one
 *   thing to the approver's display and another to a verifier (ERR_MALFORMED);
 * - every number literal written exactly as RFC 8785 (ECMAScript) writes its value, so the
 *   text sent is the text signed: no "1.0", "1e0", "1E3", "-0", "01", nor digits a double
 *   cannot hold (9007199254740993) (ERR_MALFORMED).
 * Raw control characters, lone surrogates escaped as \ud800 and the like are left to JSON.parse
 * and to the field readers.
 */
export function parseStrictJson(text: string, what: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new HitlError("ERR_INVALID_ENCODING", `${what} starts with a byte order mark (U+FEFF); send UTF-8 JSON without one.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HitlError("ERR_MALFORMED", `${what} is not valid JSON.`);
  }
  const problem = scanJsonText(text);
  if (problem?.kind === "duplicate") {
    throw new HitlError(
      "ERR_MALFORMED",
      `${what} repeats the member name ${JSON.stringify(problem.text).slice(0, 80)} in one object; duplicate names are ambiguous and refused.`,
    );
  }
  if (problem?.kind === "number") {
    throw new HitlError(
      "ERR_MALFORMED",
      `${what} writes the number ${problem.text.slice(0, 40)} in another form than canonical JSON's (${problem.canonical.slice(0, 40)}); write numbers as RFC 8785 does (no "1.0", "1e0", "-0", leading zeros or more digits than a double holds).`,
    );
  }
  return value;
}

/** UTF-8 bytes to text, refusing invalid UTF-8 (never replaced by U+FFFD); a BOM is kept for parseStrictJson to refuse. */
export function decodeUtf8Strict(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new HitlError("ERR_INVALID_ENCODING", `${what} is not valid UTF-8; it was corrupted or is not hitl JSON.`);
  }
}

/** First duplicate member name of a text JSON.parse accepted, or undefined (numbers in any form are no problem here). */
export function findDuplicateMemberName(text: string): string | undefined {
  const problem = scanJsonText(text, false);
  return problem?.kind === "duplicate" ? problem.text : undefined;
}

/** The canonical (JCS) text of a number literal JSON.parse accepted. */
export function canonicalNumberText(literal: string): string {
  return JSON.stringify(Number(literal));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

type TextProblem = { kind: "duplicate"; text: string } | { kind: "number"; text: string; canonical: string };

/** Integer literals of at most 15 digits: always canonical (they are below 2^53 and written as such). */
const SHORT_INTEGER = /^(?:0|-?[1-9][0-9]{0,14})$/;

/**
 * Scans text that JSON.parse already accepted and returns its first problem in text order: a
 * member name that occurs twice in one object (compared after unescaping, so "a" and "\u0061"
 * collide) or a number literal that is not in canonical form.
 */
function scanJsonText(text: string, checkNumbers = true): TextProblem | undefined {
  // One entry per open container: a Set of names for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
  let expectName = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = closingQuote(text, i);
      const names = stack[stack.length - 1];
      if (expectName && names) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes("\\") ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (names.has(name)) return { kind: "duplicate", text: name };
        names.add(name);
        expectName = false;
      }
      i = end + 1;
      continue;
    }
    if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < text.length && isNumberCharacter(text.charCodeAt(end))) end++;
      const literal = text.slice(i, end);
      if (checkNumbers && !SHORT_INTEGER.test(literal)) {
        const canonical = canonicalNumberText(literal);
        if (canonical !== literal) return { kind: "number", text: literal, canonical };
      }
      i = end;
      continue;
    }
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectName = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectName = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectName = false;
    } else if (c === 0x2c /* , */) {
      expectName = stack[stack.length - 1] != null;
    }
    i++;
  }
  return undefined;
}

/** Digits, ".", "e", "E", "+", "-": what a number token (already valid JSON) is made of. */
function isNumberCharacter(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** Index of the quote closing the string that opens at `start` (the text is valid JSON). */
function closingQuote(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}
