import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { type KeyRegistration, type KeyRegistrationStatement, keycloakRealm } from "@hitl/verifier";
import { signKeyRegistration, type TestApprover } from "@hitl/verifier/testing";
import { Redis } from "ioredis";
import { type KeycloakStandIn, type StandInUserSpec, startKeycloakStandIn } from "../../../oauth/stand-in/index.js";
import { OidcBrowser, pkcePair } from "../../../verifier/test/helpers/oidc-login.js";
import { type RedisServer, startRedisServer } from "../../../verifier/test/helpers/redis-server.js";

export const REDIS_PASSWORD = "team-test-redis-password";
export const PUBLIC_URL = "https://hitl.example.test";
export const CHROMIUM_REDIRECT = keycloakRealm.EXTENSION_REDIRECT_URIS[0].replace(/\*$/, "");

/** A real redis-server with requirepass, the Keycloak stand-in, and the environment `hitl server` reads. */
export interface Team {
  kc: KeycloakStandIn;
  redis: RedisServer;
  /** redis://:password@127.0.0.1:port */
  redisUrl: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startTeam(users: StandInUserSpec[]): Promise<Team> {
  const redis = await startRedisServer(["--requirepass", REDIS_PASSWORD]);
  const kc = await startKeycloakStandIn({ users });
  const redisUrl = `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`;
  const prefix = `t${randomBytes(4).toString("hex")}:`;
  await seedEpochs(redisUrl, prefix);
  const env = {
    HITL_SERVER_URL: PUBLIC_URL,
    HITL_KEYCLOAK_URL: kc.url,
    HITL_SERVER_CLIENT_SECRET: kc.serverClientSecret,
    HITL_REDIS_URL: redisUrl,
    HITL_REDIS_PREFIX: prefix,
    HITL_RATE_LIMIT_PER_MINUTE: "1000000",
  };
  return {
    kc,
    redis,
    redisUrl,
    prefix,
    env,
    async stop() {
      await kc.stop();
      await redis.stop();
    },
  };
}

/**
 * A store in steady state (docs/protocol.md §5): its epoch marker says it has kept nonces for
 * two hours, as in a deployment that has run a while. A brand-new Redis refuses receipts issued
 * in its first 3s+1 s (ERR_NONCE_STORE_RESET), which verifier/test/redis-nonce-store.test.ts covers.
 */
export async function seedEpochs(
  redisUrl: string,
  prefix: string,
  sinceMs = Date.now() - 7_200_000,
  options: { tls?: { ca: string } } = {},
): Promise<void> {
  const tls = options.tls ? { tls: { ca: readFileSync(options.tls.ca) } } : {};
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...tls });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw error;
  }
  const info = await client.info("server");
  const runId = /run_id:([0-9a-f]+)/.exec(info)![1];
  for (const kind of ["nonce:", "regnonce:"]) await client.set(`${prefix}${kind}~epoch`, `${sinceMs}:${runId}`);
  client.disconnect();
}

/** The extension's login: Authorization Code + PKCE through the stand-in's login form, max_age 120. */
export async function loginToken(kc: KeycloakStandIn, username: string, password: string): Promise<{ access: string; refresh: string }> {
  const browser = new OidcBrowser();
  const pkce = pkcePair();
  const auth = new URL(`${kc.issuer}/protocol/openid-connect/auth`);
  for (const [name, value] of Object.entries({
    client_id: keycloakRealm.EXTENSION_CLIENT_ID,
    response_type: "code",
    redirect_uri: CHROMIUM_REDIRECT,
    scope: "openid",
    state: randomUUID(),
    max_age: "120",
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
  }))
    auth.searchParams.set(name, value);
  const first = await browser.follow(auth.href, CHROMIUM_REDIRECT);
  const done = first.page !== undefined ? await browser.login(first.page, kc.url, username, password, CHROMIUM_REDIRECT) : first;
  const code = done.redirect?.searchParams.get("code");
  if (!code) throw new Error(`login of ${username} failed: ${done.page?.slice(0, 300)}`);
  const body = await tokenRequest(kc, {
    grant_type: "authorization_code",
    code,
    redirect_uri: CHROMIUM_REDIRECT,
    client_id: keycloakRealm.EXTENSION_CLIENT_ID,
    code_verifier: pkce.verifier,
  });
  return { access: body.access_token as string, refresh: body.refresh_token as string };
}

export async function refreshToken(kc: KeycloakStandIn, refresh: string): Promise<string> {
  const body = await tokenRequest(kc, {
    grant_type: "refresh_token",
    refresh_token: refresh,
    client_id: keycloakRealm.EXTENSION_CLIENT_ID,
  });
  return body.access_token as string;
}

export async function clientToken(kc: KeycloakStandIn, clientId: string, secret: string): Promise<string> {
  const body = await tokenRequest(kc, { grant_type: "client_credentials" }, [clientId, secret]);
  return body.access_token as string;
}

async function tokenRequest(kc: KeycloakStandIn, form: Record<string, string>, basic?: [string, string]): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString("base64")}`;
  const response = await fetch(`${kc.issuer}/protocol/openid-connect/token`, {
    method: "POST",
    headers,
    body: new URLSearchParams(form).toString(),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return body;
}

/** A registration body for this team's server, signed by `signer` (default `key`); overrides are signed over. */
export function registration(
  key: TestApprover,
  fields: { sub: string; iss: string; aud?: string; nowSeconds?: number },
  overrides: Partial<KeyRegistrationStatement> = {},
  signer: TestApprover = key,
): KeyRegistration {
  return signKeyRegistration(key, { aud: PUBLIC_URL, ...fields }, overrides, signer, fields.nowSeconds);
}
