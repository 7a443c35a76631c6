import { PAIRING_CONFIRMATION_PATTERN } from "./constants.js";

/** "KPTWRM" -> "KPT-WRM": how the pairing window shows a canonical confirmation code. */
export function formatPairingConfirmation(code: string): string {
  if (!PAIRING_CONFIRMATION_PATTERN.test(code)) throw new TypeError("not a canonical pairing confirmation code");
  return `${code.slice(0, 3)}-${code.slice(3)}`;
}

/** Longer input than this is not a code typed by a person; it is refused before any work. */
const MAX_TYPED_LENGTH = 64;

/**
 * What a person typed -> the canonical code, or undefined when it cannot be one. The only
 * normalization, written down in docs/protocol.md §3.5: surrounding whitespace, inner spaces and
 * hyphens are dropped and ASCII letters upper-cased ("kpt wrm", "KPT-WRM" -> "KPTWRM"). Nothing
 * else is coerced: a digit or any other character makes the input invalid.
 */
export function readTypedPairingConfirmation(typed: string): string | undefined {
  if (typed.length > MAX_TYPED_LENGTH) return undefined;
  const compact = typed.replace(/[ \t\r\n-]/g, "").replace(/[a-z]/g, (letter) => letter.toUpperCase());
  return PAIRING_CONFIRMATION_PATTERN.test(compact) ? compact : undefined;
}
