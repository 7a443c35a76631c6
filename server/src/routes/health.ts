import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../create-app.js";

/** GET /v1/health: every link the server needs, each "ok" or its error; 503 when one fails. Never rate-limited. */
export function registerHealthRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get("/v1/health", async (_request, reply) => {
    const [redis, keycloak] = await Promise.all([
      check(async () => {
        await deps.redis.ping();
      }),
      check(() => deps.accounts.ping()),
    ]);
    const ok = redis === "ok" && keycloak === "ok";
    reply.code(ok ? 200 : 503);
    return { status: ok ? "ok" : "unavailable", version: deps.version, redis, keycloak };
  });
}

async function check(probe: () => Promise<void>): Promise<"ok" | { code: string; message: string }> {
  try {
    await probe();
    return "ok";
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      code: typeof code === "string" && code.startsWith("ERR_") ? code : "ERR_NONCE_STORE_UNAVAILABLE",
      message: error instanceof Error ? error.message : String(error),
    };
  }
}
