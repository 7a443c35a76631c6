import type { KeyDirectory, NonceStore } from "@hitl/verifier";
import { HitlError, isErrorCode } from "@hitl/verifier";
import { parseStrictJson } from "@hitl/verifier/protocol";
import type { FastifyError, FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { AccessTokenVerifier } from "./lib/access-token.js";
import { statusOf } from "./lib/http-status.js";
import type { KeycloakAccounts } from "./lib/keycloak-accounts.js";
import { registerHealthRoute } from "./routes/health.js";
import { registerKeyRoutes } from "./routes/keys.js";
import { registerVerifyRoute } from "./routes/verify.js";

/** What the routes use; start-server.ts wires the real ones, tests may wire others. */
export interface AppDeps {
  publicUrl: string;
  keyLifetimeSeconds: number;
  rateLimitPerMinute: number;
  redisPrefix: string;
  version: string;
  tokens: AccessTokenVerifier;
  accounts: KeycloakAccounts;
  /** KeycloakKeyDirectory as hitl-server; forget(sub) after every write. */
  directory: KeyDirectory & { forget(sub: string): void };
  /** Receipt nonces (`<prefix>nonce:`), shared by every verifier. */
  nonces: NonceStore;
  /** Registration-statement nonces (`<prefix>regnonce:`). */
  registrationNonces: NonceStore;
  /** Locks and rate limits. */
  redis: Redis;
  /** Trust X-Forwarded-For from a loopback proxy (set with --insecure-http behind a TLS proxy). */
  trustLoopbackProxy: boolean;
  clock?: () => number;
}

/** 64 KiB receipt + the envelope. */
const BODY_LIMIT = 64 * 1024 + 4096;

/** The fastify application (not listening). fastify and the rate limiter are loaded here, never on CLI start-up. */
export async function createApp(deps: AppDeps, options: { https?: { cert: string; key: string } } = {}): Promise<FastifyInstance> {
  const { default: Fastify } = await import("fastify");
  const { default: rateLimit } = await import("@fastify/rate-limit");
  const { rateLimitStore } = await import("./lib/rate-limit-store.js");
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: false,
    ...(options.https ? { https: options.https } : {}),
    trustProxy: deps.trustLoopbackProxy ? ["127.0.0.0/8", "::1"] : false,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  // Strict JSON for every body: duplicate member names are refused (two parsers could read two documents).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseStrictJson(body as string, "The request body"));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.setErrorHandler((error: FastifyError | HitlError, request, reply) => {
    const route = request.url.startsWith("/v1/keys") ? "keys" : request.url.startsWith("/v1/verify") ? "verify" : "other";
    const wire = toWireError(error);
    if (wire.code === "ERR_INTERNAL")
      process.stderr.write(`hitl server: ${request.method} ${request.url.split("?")[0]}: ${String((error as Error).message)}\n`);
    const status = statusOf(wire.code, route);
    if (wire.code === "ERR_LOGIN_NOT_FRESH") {
      reply.header("www-authenticate", 'Bearer error="insufficient_user_authentication", max_age=120');
    }
    reply.code(status).send(wire.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ code: "ERR_NOT_FOUND", message: `No route ${request.method} ${request.url.split("?")[0]}; see docs/protocol.md §9.` });
  });

  await app.register(rateLimit, {
    global: true,
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    // The shared Redis, through a store that turns any Redis failure into ERR_NONCE_STORE_UNAVAILABLE;
    // with skipOnError false the request is then refused (closed, never skipped).
    store: rateLimitStore(deps.redis, `${deps.redisPrefix}rate:`),
    skipOnError: false,
    allowList: (request) => request.url === "/v1/health",
    errorResponseBuilder: (_request, context) =>
      Object.assign(new HitlError("ERR_RATE_LIMITED", `Too many requests from this client; retry in ${context.after}.`), {
        statusCode: 429,
      }),
  });

  registerHealthRoute(app, deps);
  registerKeyRoutes(app, deps);
  registerVerifyRoute(app, deps);
  return app;
}

function toWireError(error: unknown): HitlError {
  if (error instanceof HitlError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") return new HitlError("ERR_TOO_LARGE", `The request body is larger than ${BODY_LIMIT} bytes.`);
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return new HitlError("ERR_UNSUPPORTED_MEDIA_TYPE", "Send the body as Content-Type: application/json.");
  }
  if (code === "FST_ERR_CTP_EMPTY_JSON_BODY") return new HitlError("ERR_MALFORMED", "The request body is empty; send a JSON object.");
  if (typeof code === "string" && isErrorCode(code)) return new HitlError(code, String((error as Error).message));
  return new HitlError("ERR_INTERNAL", "The server could not handle the request; nothing was accepted. See the server's log.");
}
