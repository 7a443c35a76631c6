import type { FastifyInstance } from "fastify";
import { HitlError, type HealthResponseBody } from "@hitl/verifier/protocol";
import type { RouteContext } from "../lib/route-context.js";

/**
 * GET /health: the true state, asked of the extension now (status.request with a short timeout),
 * never a cached guess. An extension that is connected but silent is an error (503 ERR_TIMEOUT),
 * not "healthy".
 */
export function registerHealthRoute(app: FastifyInstance, context: RouteContext): void {
  app.get("/health", async (): Promise<HealthResponseBody> => {
    const host = context.hostInfo();
    if (context.extension.state !== "connected") return { host, extension: { connected: false } };
    try {
      const info = await context.extension.status({ timeoutMs: context.healthTimeoutMs });
      return { host, extension: { connected: true, extensionVersion: info.extensionVersion, browser: info.browser, ...info.status } };
    } catch (error) {
      // The browser went away while we asked: that is a state, not a failure.
      if (error instanceof HitlError && error.code === "ERR_EXTENSION_NOT_CONNECTED") return { host, extension: { connected: false } };
      throw error;
    }
  });
}
