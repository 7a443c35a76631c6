import { randomBytes } from "node:crypto";

/** A fresh x-hitl-client-nonce: 32 CSPRNG bytes, base64url. One per HTTP exchange, never reused. */
export function newClientNonce(): string {
  return randomBytes(32).toString("base64url");
}
