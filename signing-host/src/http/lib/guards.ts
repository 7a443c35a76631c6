import { HitlError } from "@hitl/verifier/protocol";
import type { FastifyRequest } from "fastify";

/*
 * Checks that run on every request before its body is read, in this order:
 *   1. Host header (DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends
 *      Host: evil.example, so only our own loopback names pass);
 *   2. no Origin header (browsers send Origin on every cross-origin POST, CORS request and
 *      preflight; our clients are local programs, which never do);
 *   3. POST bodies must be application/json (never a CORS-"simple" type such as text/plain, so a
 *      page cannot even fire a request without a preflight, which step 2 then refuses).
 */

export function checkRequest(request: FastifyRequest, port: number): HitlError | undefined {
  const host = request.headers.host?.toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return new HitlError(
      "ERR_HOST_HEADER_FORBIDDEN",
      `The signing host only answers requests addressed to 127.0.0.1:${port} or localhost:${port}; use http://127.0.0.1:${port}/.`,
    );
  }
  if (request.headers.origin !== undefined) {
    return new HitlError(
      "ERR_ORIGIN_FORBIDDEN",
      "Requests from web pages (with an Origin header) are refused; only local programs such as the hitl CLI may use the signing host.",
    );
  }
  if (request.method === "POST" && !isJson(request.headers["content-type"])) {
    return new HitlError("ERR_UNSUPPORTED_MEDIA_TYPE", "POST bodies must be sent with content-type: application/json.");
  }
  return undefined;
}

/** `application/json`, optionally with `charset=utf-8`; nothing else. */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [essence, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (essence !== "application/json") return false;
  return parameters.every((parameter) => parameter === "charset=utf-8" || parameter === 'charset="utf-8"');
}
