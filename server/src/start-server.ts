import { readFile } from "node:fs/promises";
import { HitlError, KeycloakKeyDirectory, keycloakRealm, RedisNonceStore } from "@hitl/verifier";
import type { FastifyInstance } from "fastify";
import { readServerConfig, type ServerConfig, type ServerFlags } from "./config.js";
import { createApp } from "./create-app.js";
import { accessTokenVerifier } from "./lib/access-token.js";
import { openKeycloakAccounts } from "./lib/keycloak-accounts.js";

export const SERVER_VERSION = "0.1.0";

export interface RunningServer {
  /** e.g. http://127.0.0.1:8443 */
  url: string;
  config: ServerConfig;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Reads the configuration (refusing plain HTTP off loopback), connects the shared Redis (nonces,
 * registration nonces, locks, rate limits) and Keycloak, then listens. Fails closed: a Redis
 * that cannot be reached at start stops the start with its code.
 */
export async function startServer(
  flags: ServerFlags,
  env: NodeJS.ProcessEnv = process.env,
  /** Tests only: the clock every check uses (tokens, statements, receipts, key expiry). */
  testing: { clock?: () => number } = {},
): Promise<RunningServer> {
  const config = readServerConfig(flags, env);
  const https = config.tls
    ? { cert: await readPem(config.tls.cert, "--tls-cert"), key: await readPem(config.tls.key, "--tls-key") }
    : undefined;
  const { Redis } = await import("ioredis");
  const redis = new Redis(config.redis.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2000,
    connectTimeout: 2000,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
  });
  // Failures surface on the calls that need Redis (closed, with their codes); the event itself is only noise.
  // The last one is kept: ioredis reports a refused TLS handshake only as "Connection is closed".
  let lastRedisError: Error | undefined;
  redis.on("error", (error: Error) => {
    lastRedisError = error;
  });
  const closers: Array<() => Promise<unknown>> = [async () => redis.disconnect()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    await redis.connect().catch((error: unknown) => {
      throw new HitlError(
        "ERR_NONCE_STORE_UNAVAILABLE",
        `The shared Redis (HITL_REDIS_URL) cannot be reached (${(lastRedisError ?? (error as Error)).message.replace(/\.$/, "")}). Start Redis, fix the URL or password, or trust its TLS certificate (NODE_EXTRA_CA_CERTS).`,
      );
    });
    const clock = testing.clock ? { clock: testing.clock } : {};
    const nonces = await RedisNonceStore.connect(config.redis.url, { prefix: `${config.redis.prefix}nonce:`, ...clock });
    closers.push(() => nonces.close());
    const registrationNonces = await RedisNonceStore.connect(config.redis.url, { prefix: `${config.redis.prefix}regnonce:`, ...clock });
    closers.push(() => registrationNonces.close());
    const { url, realm, clientSecret, timeoutMs, issuer } = config.keycloak;
    const directory = await KeycloakKeyDirectory.open({
      url,
      realm,
      clientId: keycloakRealm.SERVER_CLIENT_ID,
      clientSecret,
      timeoutMs,
      ...clock,
    });
    const accounts = await openKeycloakAccounts({ url, realm, clientSecret, timeoutMs });
    const tokens = accessTokenVerifier({ issuer, jwksUrl: `${url}/realms/${realm}/protocol/openid-connect/certs`, timeoutMs, ...clock });
    const app = await createApp(
      {
        publicUrl: config.publicUrl,
        keyLifetimeSeconds: config.keyLifetimeSeconds,
        rateLimitPerMinute: config.rateLimitPerMinute,
        redisPrefix: config.redis.prefix,
        version: SERVER_VERSION,
        tokens,
        accounts,
        directory,
        nonces,
        registrationNonces,
        redis,
        trustLoopbackProxy: config.tls === undefined,
        ...clock,
      },
      https ? { https } : {},
    );
    closers.push(() => app.close());
    const address = await app.listen({ host: config.host, port: config.port }).catch((error: { code?: string; message?: string }) => {
      if (error.code === "EADDRINUSE")
        throw new HitlError("ERR_PORT_IN_USE", `Port ${config.port} on ${config.host} is in use; pick another with --port.`);
      throw error;
    });
    return { url: address, config, app, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new HitlError("ERR_CONFIG", `${flag} ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
  }
}
