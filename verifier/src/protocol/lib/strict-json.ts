import { HitlError } from "../errors.js";

/**
 * JSON.parse keeps the LAST of two members with the same name, other parsers keep the first:
 * a document with duplicates can mean one thing to the approver's display and another to a
 * verifier. RFC 8259 leaves it open, so hitl refuses such documents outright.
 */
export function parseStrictJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HitlError("ERR_MALFORMED", `${what} is not valid JSON.`);
  }
  const duplicate = findDuplicateMemberName(text);
  if (duplicate !== undefined) {
    throw new HitlError(
      "ERR_MALFORMED",
      `${what} repeats the member name ${JSON.stringify(duplicate).slice(0, 80)} in one object; duplicate names are ambiguous and refused.`,
    );
  }
  return value;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Scans text that JSON.parse already accepted and returns the first member name that occurs
 * twice in one object (compared after unescaping, so "a" and "\u0061" collide), or undefined.
 */
export function findDuplicateMemberName(text: string): string | undefined {
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
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
      i = end + 1;
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
