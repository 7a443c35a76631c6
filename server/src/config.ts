import { HitlError, keycloakRealm } from "@hitl/verifier";

/** Everything `hitl server` needs, validated before anything connects (docs/protocol.md §9). */
export interface ServerConfig {
  host: string;
  port: number;
  tls: { cert: string; key: string } | undefined;
  /** The public base URL (a registration statement's `aud`), without a trailing slash. */
  publicUrl: string;
  keycloak: {
    /** Base URL the server calls (Admin REST, JWKS). */
    url: string;
    realm: string;
    /** Token issuer; default `${url}/realms/${realm}` (differs when Keycloak's public hostname differs). */
    issuer: string;
    clientSecret: string;
    timeoutMs: number;
  };
  redis: { url: string; prefix: string };
  keyLifetimeSeconds: number;
  /** Requests per minute per client IP on the rate-limited routes. */
  rateLimitPerMinute: number;
}

export interface ServerFlags {
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

const DAY = 86_400;
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

function config(message: string): never {
  throw new HitlError("ERR_CONFIG", message);
}

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value.length === 0) config(`${name} is not set: ${what}.`);
  return value;
}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined || text === "") return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
    config(`${name} must be a whole number from ${min} to ${max}.`);
  return Number(text);
}

function httpUrl(text: string, name: string, loopbackHttpOnly: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return config(`${name} "${text}" is not a URL.`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    config(`${name} must not carry credentials, a query or a fragment.`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith("127.");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && (!loopbackHttpOnly || loopback))) {
    config(`${name} must use https (plain http only on loopback); got ${url.protocol}//${url.host}.`);
  }
  return url.href.replace(/\/+$/, "");
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

/**
 * Flags and environment → configuration. Transport first: without TLS the server starts only
 * with --insecure-http on a loopback host (a TLS-terminating proxy in front), never by default.
 */
export function readServerConfig(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const host = flags.host ?? "127.0.0.1";
  const port = flags.port ?? 8443;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) config("--port must be a port number (0..65535).");
  let tls: ServerConfig["tls"];
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    if (flags.tlsCert === undefined || flags.tlsKey === undefined) config("Give both --tls-cert and --tls-key (PEM files).");
    if (flags.insecureHttp === true) config("--insecure-http and --tls-cert/--tls-key exclude each other.");
    tls = { cert: flags.tlsCert, key: flags.tlsKey };
  } else if (flags.insecureHttp !== true) {
    throw new HitlError(
      "ERR_INSECURE_TRANSPORT",
      "hitl server refuses plain HTTP: give --tls-cert and --tls-key, or run it on loopback behind a TLS-terminating proxy with --insecure-http --host 127.0.0.1.",
    );
  } else if (!isLoopbackHost(host)) {
    throw new HitlError(
      "ERR_INSECURE_TRANSPORT",
      `--insecure-http is allowed on a loopback host only (127.0.0.1, ::1, localhost), not on "${host}": bearer tokens and receipts would cross the network in clear. Use --tls-cert/--tls-key, or bind to 127.0.0.1 behind a TLS proxy.`,
    );
  }

  const publicUrl = httpUrl(
    required(env, "HITL_SERVER_URL", "the server's public base URL, e.g. https://hitl.example.com"),
    "HITL_SERVER_URL",
    true,
  );
  const keycloakUrl = httpUrl(
    required(env, "HITL_KEYCLOAK_URL", "Keycloak's base URL, e.g. https://id.example.com"),
    "HITL_KEYCLOAK_URL",
    true,
  );
  const realm = env.HITL_KEYCLOAK_REALM || keycloakRealm.KEYCLOAK_REALM;
  if (!/^[A-Za-z0-9._-]{1,255}$/.test(realm)) config("HITL_KEYCLOAK_REALM must be a realm name.");
  const issuer = env.HITL_KEYCLOAK_ISSUER
    ? httpUrl(env.HITL_KEYCLOAK_ISSUER, "HITL_KEYCLOAK_ISSUER", true)
    : `${keycloakUrl}/realms/${realm}`;
  const clientSecret = required(
    env,
    "HITL_SERVER_CLIENT_SECRET",
    "the secret of the hitl-server client (Keycloak: Clients → hitl-server → Credentials)",
  );
  const timeoutMs = integer(env.HITL_KEYCLOAK_TIMEOUT_MS, "HITL_KEYCLOAK_TIMEOUT_MS", 3000, 100, 60_000);

  const redisText = required(env, "HITL_REDIS_URL", "the shared Redis, e.g. rediss://:password@redis.example.com:6380");
  let redisUrl: URL;
  try {
    redisUrl = new URL(redisText);
  } catch {
    return config("HITL_REDIS_URL is not a URL (redis://… or rediss://…).");
  }
  if (redisUrl.protocol !== "redis:" && redisUrl.protocol !== "rediss:")
    config("HITL_REDIS_URL must start with redis:// or rediss:// (TLS).");
  if (env.HITL_REDIS_PASSWORD) {
    if (redisUrl.password !== "") config("Give the Redis password once: in HITL_REDIS_URL or in HITL_REDIS_PASSWORD, not both.");
    redisUrl.password = encodeURIComponent(env.HITL_REDIS_PASSWORD);
  }
  const prefix = env.HITL_REDIS_PREFIX ?? "hitl:";
  if (!/^[\x21-\x7e]{1,64}$/.test(prefix)) config("HITL_REDIS_PREFIX must be 1 to 64 printable ASCII characters (e.g. hitl:).");

  const keyLifetimeDays = integer(env.HITL_KEY_LIFETIME_DAYS, "HITL_KEY_LIFETIME_DAYS", 30, 1, 365);
  const rateLimitPerMinute = integer(env.HITL_RATE_LIMIT_PER_MINUTE, "HITL_RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000);
  return {
    host,
    port,
    tls,
    publicUrl,
    keycloak: { url: keycloakUrl, realm, issuer, clientSecret, timeoutMs },
    redis: { url: redisUrl.href, prefix },
    keyLifetimeSeconds: keyLifetimeDays * DAY,
    rateLimitPerMinute,
  };
}
