import { type HealthResponseBody, HitlError } from "@hitl/verifier/protocol";
import type { FastifyInstance, FastifyReply } from "fastify";
import { sendError } from "../lib/error-reply.js";
import type { RouteContext } from "../lib/route-context.js";

/**
 * GET /health: the true state, asked of the extension now (status.request with a short timeout),
 * never a cached guess. An extension that is connected but silent is an error (503 ERR_TIMEOUT),
 * not "healthy".
 */
export function registerHealthRoute(app: FastifyInstance, context: RouteContext): void {
  app.get("/health", async (_request, reply): Promise<HealthResponseBody | FastifyReply> => {
    const host = context.hostInfo();
    if (context.extension.state !== "connected") return { host, extension: { connected: false } };
    try {
      const info = await context.extension.status({ timeoutMs: context.healthTimeoutMs });
      return { host, extension: { connected: true, extensionVersion: info.extensionVersion, browser: info.browser, ...info.status } };
    } catch (error) {
      // The browser went away while we asked: that is a state, not a failure.
      if (error instanceof HitlError && (error.code === "ERR_EXTENSION_NOT_CONNECTED" || error.code === "ERR_EXTENSION_DISCONNECTED")) {
        return { host, extension: { connected: false } };
      }
      // 503, not 408: the client was not slow, the extension is unresponsive.
      if (error instanceof HitlError && error.code === "ERR_TIMEOUT") return sendError(reply, error, 503);
      throw error;
    }
  });
}
