/**
 * The hitl protocol: every type, byte and limit. Isomorphic (browser and Node): no Node imports,
 * no hashing (callers hash with node:crypto or WebCrypto). See docs/protocol.md.
 */
export * from "./base64url.js";
export * from "./constants.js";
export * from "./errors.js";
export { canonicalBytes, canonicalize, isWellFormed, utf8, utf8Length } from "./jcs.js";
export * from "./key-registration.js";
export {
  CHARACTER_TABLES_UNICODE_VERSION,
  forbiddenInIdentifier,
  formatCodePoint,
  hasVisibleCharacter,
  IDENTIFIER_FORBIDDEN_CHARACTERS,
  INVISIBLE_CHARACTERS,
  isVisibleCodePoint,
} from "./lib/characters.js";
export { describeCodePoint, isInvisibleCodePoint } from "./lib/invisible.js";
export { isOneLineName } from "./lib/reader.js";
export { canonicalNumberText, decodeUtf8Strict, findDuplicateMemberName, parseStrictJson } from "./lib/strict-json.js";
export * from "./mark-text.js";
export * from "./marked-plain-text.js";
export * from "./messages.js";
export * from "./pairing-confirmation.js";
export * from "./signing-input.js";
export type * from "./types.js";
export * from "./validate.js";
