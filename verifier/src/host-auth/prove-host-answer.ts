import { HitlError } from "../protocol/errors.js";
import { type HostAnswerFields, proofBytes, TOKEN_PATTERN } from "./lib/proof-input.js";

/**
 * The signing host's proof for one answer (the x-hitl-host-proof header value), or undefined
 * when the client sent no usable nonce: a proof over a nonce of our choosing would be a value
 * anyone could record and replay.
 */
export function proveHostAnswer(secret: Uint8Array, fields: HostAnswerFields): string | undefined {
  if (!TOKEN_PATTERN.test(fields.nonce)) return undefined;
  if (secret.length !== 32) throw new HitlError("ERR_INTERNAL", "The host secret must be 32 bytes.");
  return proofBytes(secret, fields).toString("base64url");
}
