import { PAIRING_CONFIRMATION_ALPHABET, PAIRING_CONFIRMATION_LENGTH } from "@hitl/verifier/protocol";

/** The largest multiple of the alphabet size that fits a byte: bytes at or above it are drawn again. */
const UNBIASED_LIMIT = 256 - (256 % PAIRING_CONFIRMATION_ALPHABET.length);

/**
 * The confirmation code the pairing window shows after the click on Pair (canonical form, six
 * letters). Drawn with the browser's CSPRNG by rejection sampling, so every code is equally likely
 * (a plain `byte % 20` would favour the first 16 letters). Made in the service worker, never by
 * the page or the host.
 */
export function makeConfirmationCode(fill: (bytes: Uint8Array<ArrayBuffer>) => void = (bytes) => crypto.getRandomValues(bytes)): string {
  let code = "";
  const bytes = new Uint8Array(16);
  while (code.length < PAIRING_CONFIRMATION_LENGTH) {
    fill(bytes);
    for (const byte of bytes) {
      if (byte >= UNBIASED_LIMIT) continue;
      code += PAIRING_CONFIRMATION_ALPHABET[byte % PAIRING_CONFIRMATION_ALPHABET.length];
      if (code.length === PAIRING_CONFIRMATION_LENGTH) break;
    }
  }
  return code;
}
