import { HitlError } from "./errors.js";

/**
 * RFC 8785 JSON Canonicalization Scheme. ECMAScript's JSON.stringify already serializes strings
 * and numbers exactly as JCS requires; JCS adds: object members sorted by UTF-16 code units, no
 * whitespace, I-JSON only (no lone surrogates, finite numbers). One implementation serves the
 * extension and the verifier, so the bytes signed and the bytes checked cannot disagree.
 *
 * Fast path (the verifier runs this for every receipt; the strict parsers build their objects
 * with members already in JCS order): when every object's members are already in strictly
 * ascending code-unit order and every value is plain JSON, JSON.stringify produces the JCS bytes
 * itself, natively. Insertion order is what JSON.stringify follows, except that integer-like
 * names come first: for-in yields the same order, so checking that for-in order is sorted
 * covers that case too (it then fails the check and takes the member-by-member path).
 */
export function canonicalize(value: unknown): string {
  if (noInheritedToJson() && inCanonicalOrder(value)) return JSON.stringify(value);
  return canonicalizeTree(value);
}

/**
 * JCS of a document whose parser vouches for its member order (validate.ts ParseNotes): skips
 * the order walk. JSON.stringify still only runs while no prototype carries a toJSON.
 */
export function canonicalizeParsed(value: unknown, stringifyIsCanonical: boolean): string {
  return stringifyIsCanonical && noInheritedToJson() ? JSON.stringify(value) : canonicalize(value);
}

/** JSON.stringify calls toJSON even when inherited: a polluted prototype disables the fast path. */
function noInheritedToJson(): boolean {
  return (Object.prototype as { toJSON?: unknown }).toJSON === undefined && (Array.prototype as { toJSON?: unknown }).toJSON === undefined;
}

/** True when JSON.stringify(value) equals canonicalizeTree(value); false means "take the slow path". */
function inCanonicalOrder(value: unknown): boolean {
  switch (typeof value) {
    case "string":
      return isWellFormed(value);
    case "number":
      return Number.isFinite(value);
    case "boolean":
      return true;
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        // JSON.stringify would call an array's own toJSON; the member-by-member path ignores it.
        if ((value as { toJSON?: unknown }).toJSON !== undefined) return false;
        for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i])) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      const record = value as Record<string, unknown>;
      let previous: string | undefined;
      for (const key in record) {
        if (previous !== undefined && !(previous < key)) return false;
        const member = record[key];
        if (member === undefined || !isWellFormed(key) || !inCanonicalOrder(member)) return false;
        previous = key;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Member-by-member RFC 8785 serialization: the reference the fast path must equal. */
export function canonicalizeTree(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (!isWellFormed(value)) {
        throw new HitlError("ERR_INVALID_ENCODING", "A string contains a lone UTF-16 surrogate; only valid Unicode can be signed.");
      }
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new HitlError("ERR_MALFORMED", "Numbers must be finite: NaN and Infinity have no JSON form.");
      }
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += canonicalizeTree(value[i]);
        }
        return `${out}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new HitlError("ERR_MALFORMED", "Only plain JSON objects can be canonicalized.");
      }
      const record = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 specifies.
      const keys = Object.keys(record).sort();
      let out = "{";
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue; // absent optional field, as JSON.stringify does
        if (!first) out += ",";
        first = false;
        out += `${canonicalizeTree(key)}:${canonicalizeTree(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw new HitlError("ERR_MALFORMED", `A ${typeof value} has no JSON form.`);
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of the canonical form. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalize(value));
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

type WellFormedCheck = (text: string) => boolean;
const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** True when the string has no lone surrogate. Native String.prototype.isWellFormed where present. */
export const isWellFormed: WellFormedCheck =
  typeof nativeIsWellFormed === "function" ? (text) => nativeIsWellFormed.call(text) : isWellFormedPortable;

/** The same check for engines without String.prototype.isWellFormed (exported for tests). */
export function isWellFormedPortable(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const next = text.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** UTF-8 length without allocating. Assumes a well-formed string. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
