import { type ErrorCode, type ErrorResponseBody, HitlError, LIMITS } from "@hitl/verifier/protocol";
import type { FastifyReply } from "fastify";

/**
 * HTTP status for each code the host can answer with. The body always carries the stable code;
 * the status is for humans with curl and for generic HTTP tooling.
 */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_MALFORMED: 400,
  ERR_INVALID_ENCODING: 400,
  ERR_UNSUPPORTED_VERSION: 400,
  ERR_EXPIRED: 400,
  ERR_ORIGIN_FORBIDDEN: 403,
  ERR_HOST_HEADER_FORBIDDEN: 403,
  ERR_PAIRING_REJECTED: 403,
  ERR_KEYS_REVOKE_CANCELLED: 403,
  ERR_TEAM_NOT_SIGNED_IN: 403,
  ERR_TIMEOUT: 408,
  ERR_REQUEST_TOO_SLOW: 408,
  ERR_DUPLICATE_REQUEST: 409,
  ERR_WITHDRAWN: 410,
  ERR_TOO_LARGE: 413,
  ERR_NATIVE_MESSAGE_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_TOO_MANY_PENDING: 429,
  // The extension (our upstream) answered, but wrongly.
  ERR_PROTOCOL: 502,
  ERR_CHALLENGE_MISMATCH: 502,
  ERR_SIGNING_FAILED: 502,
  ERR_TEAM_SERVER_UNREACHABLE: 502,
  ERR_TEAM_SERVER_REFUSED: 502,
  ERR_EXTENSION_NOT_CONNECTED: 503,
  ERR_EXTENSION_DISCONNECTED: 503,
  ERR_NO_KEY: 503,
  ERR_NOT_PAIRED: 503,
  ERR_TOO_MANY_CONNECTIONS: 503,
  ERR_SESSION_KEY_ENDED: 503,
  ERR_TEAM_NOT_CONFIGURED: 503,
};

export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}

export function errorBody(error: HitlError): ErrorResponseBody {
  return { error: error.toJSON() };
}

/** Maps anything thrown in a route or by fastify itself to `{error:{code,message}}`. */
export function toHitlError(error: unknown): HitlError {
  if (error instanceof HitlError) return error;
  const fastifyCode = (error as { code?: unknown } | null)?.code;
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  switch (fastifyCode) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HitlError(
        "ERR_TOO_LARGE",
        `The request body is larger than ${LIMITS.receiptBytes} bytes; a hitl challenge or pairing request is much smaller, so check what is being sent.`,
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new HitlError("ERR_UNSUPPORTED_MEDIA_TYPE", "Send the body as content-type: application/json.");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new HitlError("ERR_MALFORMED", "The request body is empty; send a JSON object.");
    default:
      break;
  }
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) {
    // Invalid JSON, __proto__ keys, bad content-length: the client sent something unusable.
    return new HitlError("ERR_MALFORMED", "The request body is not valid JSON for this endpoint.");
  }
  return new HitlError(
    "ERR_INTERNAL",
    "The signing host failed unexpectedly; see its log file (signing-host.log in the hitl state directory).",
  );
}

export function sendError(reply: FastifyReply, error: HitlError, status = statusForCode(error.code)): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(errorBody(error));
}
