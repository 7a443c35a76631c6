/** Shapes the extension's page-message parsers check (the protocol module checks the same on the wire). */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** A SHA-256 digest or key id in base64url without padding. */
export const DIGEST = /^[A-Za-z0-9_-]{43}$/;
