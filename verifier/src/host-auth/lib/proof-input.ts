import { createHash, createHmac } from "node:crypto";
import { HOST_AUTH } from "../../protocol/constants.js";

/** What one host answer is bound to (docs/protocol.md section 6.1). */
export interface HostAnswerFields {
  /** The client's nonce header, exactly as sent (43 base64url characters). */
  nonce: string;
  method: string;
  /** The request target as sent, e.g. "/sign". */
  path: string;
  status: number;
  /** The exact response body bytes. */
  body: Uint8Array;
}

/** 32 CSPRNG bytes, base64url: the shape every nonce and proof header has. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * HMAC-SHA256(secret, PREFIX || nonce || NUL || method || NUL || path || NUL || status || NUL ||
 * SHA-256(body)). Every text field is ASCII without NUL (nonce and status have fixed shapes,
 * HTTP forbids NUL in method and path), so the NUL separators make the input unambiguous.
 */
export function proofBytes(secret: Uint8Array, fields: HostAnswerFields): Buffer {
  const status = String(fields.status);
  const text = `${HOST_AUTH.proofPrefix}${fields.nonce}\u0000${fields.method}\u0000${fields.path}\u0000${status}\u0000`;
  const bodyDigest = createHash("sha256").update(fields.body).digest();
  return createHmac("sha256", secret).update(Buffer.from(text, "latin1")).update(bodyDigest).digest();
}
