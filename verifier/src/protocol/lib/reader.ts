import { assertBase64url } from "../base64url.js";
import { HitlError } from "../errors.js";
import { isWellFormed, utf8Length } from "../jcs.js";
import { forbiddenInIdentifier, formatCodePoint, hasVisibleCharacter } from "./characters.js";

/**
 * Strict field readers. Order matters and is the same everywhere: shape (type, known fields)
 * -> size -> allowed characters/values -> encoding. Unknown fields are errors, never stripped,
 * and nothing is coerced.
 */
export function malformed(path: string, what: string): never {
  throw new HitlError("ERR_MALFORMED", `${path} ${what}.`);
}

export function readObject(
  value: unknown,
  path: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) malformed(path, "must be a JSON object");
  const record = value as Record<string, unknown>;
  // A versioned document: its version says how the rest reads, so a present "v" other than 1
  // is reported before unknown or missing members (a v2 document is not a malformed v1 one).
  if (required[0] === "v" && Object.hasOwn(record, "v") && record.v !== 1) readVersion(record.v, `${path}.v`);
  // Fast path: when every required field is an own member and the own members number exactly
  // the known fields present, there is no unknown field. Otherwise the walk below names the
  // first unknown field (before any missing one: a misspelt name is the likelier mistake).
  let known = 0;
  let complete = true;
  for (let i = 0; i < required.length; i++) {
    const key = required[i]!;
    if (Object.hasOwn(record, key) && record[key] !== undefined) known++;
    else complete = false;
  }
  for (let i = 0; i < optional.length; i++) {
    const key = optional[i]!;
    if (Object.hasOwn(record, key)) known++;
    // Callers read optional fields as record[key]: a value inherited from a polluted prototype
    // must not pass for one. (An inherited required field is simply missing, below.)
    else if (record[key] !== undefined) malformed(`${path}.${key}`, "comes from a prototype, not from the object itself");
  }
  if (complete && Object.keys(record).length === known) return record;
  for (const key of Object.keys(record)) {
    if (!required.includes(key) && !optional.includes(key)) {
      malformed(`${path}.${key}`, "is not a known field (unknown fields are rejected, not ignored)");
    }
  }
  for (const key of required) {
    if (!Object.hasOwn(record, key) || record[key] === undefined) malformed(`${path}.${key}`, "is missing");
  }
  return record;
}

export function readVersion(value: unknown, path: string): 1 {
  if (value !== 1) {
    throw new HitlError(
      "ERR_UNSUPPORTED_VERSION",
      `${path} is ${JSON.stringify(value) ?? "absent"}; this implementation speaks version 1 only. Upgrade hitl on both sides.`,
    );
  }
  return 1;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const NON_SPACE_ASCII = /[\x21-\x7e]/;

/**
 * kind "line": a one-line identifier (audience, subject, tool, host, label): non-empty, no code
 * point of the identifier-forbidden class (lib/characters.ts), at least one visible character.
 * kind "text": free text shown to the human (newlines, tabs, emoji, RTL all allowed), no NUL;
 * the display marks invisible characters.
 * Order: type -> size -> well-formed -> characters.
 */
export function readString(value: unknown, path: string, maxBytes: number, kind: "line" | "text"): string {
  if (typeof value !== "string") malformed(path, "must be a string");
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings skip the byte count.
  if (value.length > maxBytes || (value.length * 3 > maxBytes && utf8Length(value) > maxBytes)) {
    throw new HitlError("ERR_TOO_LARGE", `${path} is longer than ${maxBytes} UTF-8 bytes; shorten it.`);
  }
  if (!isWellFormed(value)) {
    throw new HitlError("ERR_INVALID_ENCODING", `${path} contains a lone UTF-16 surrogate; send valid Unicode.`);
  }
  if (kind === "line") {
    if (value.length === 0) malformed(path, "must not be empty");
    // Printable ASCII with a non-space character (nearly every real name) passes both rules.
    if (PRINTABLE_ASCII.test(value) && NON_SPACE_ASCII.test(value)) return value;
    const forbidden = forbiddenInIdentifier(value);
    if (forbidden !== undefined) {
      malformed(
        path,
        `must not contain ${formatCodePoint(forbidden)}: one-line names refuse control, format, line-separator and invisible (default-ignorable) characters, which could make one name display as another`,
      );
    }
    if (!hasVisibleCharacter(value)) malformed(path, "must contain at least one visible character (it is blank)");
  } else if (value.includes("\u0000")) {
    malformed(path, "must not contain NUL characters");
  }
  return value;
}

/** Whether `value` reads as a one-line name of at most `maxBytes` (the "line" rules of readString), without throwing. */
export function isOneLineName(value: unknown, maxBytes: number): value is string {
  try {
    readString(value, "name", maxBytes, "line");
    return true;
  } catch {
    return false;
  }
}

/**
 * An integer in [min, max] (both within ±(2^53−1)). -0 is refused: JCS writes it as 0, so the
 * signed bytes would not say what was sent. (From JSON text, the literal itself is checked too:
 * lib/strict-json.ts.)
 */
export function readInteger(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || Object.is(value, -0)) malformed(path, "must be an integer");
  if (value < min || value > max) malformed(path, `must be between ${min} and ${max}`);
  return value;
}

/** Seconds since the epoch: after 2001-09-09 and before year 2286, as an integer. */
export function readTimestamp(value: unknown, path: string): number {
  return readInteger(value, path, 1_000_000_000, 9_999_999_999);
}

/** A base64url value of a fixed encoded length that decodes canonically. */
export function readBase64url(value: unknown, path: string, encodedLength: number): string {
  if (typeof value !== "string") malformed(path, "must be a base64url string");
  if (value.length !== encodedLength) {
    throw new HitlError("ERR_INVALID_ENCODING", `${path} must be ${encodedLength} base64url characters (no padding), got ${value.length}.`);
  }
  assertBase64url(value, path);
  return value;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function readUuid(value: unknown, path: string): string {
  if (typeof value !== "string" || !UUID_V4.test(value)) malformed(path, "must be a lowercase UUID v4");
  return value;
}

export function readEnum<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    malformed(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
  }
  return value as T;
}
