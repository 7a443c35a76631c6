import { HitlError } from "../../protocol/errors.js";
import { KEYCLOAK_REALM, VERIFIER_CLIENT_ID } from "./keycloak-realm.js";

export interface KeycloakKeyDirectoryOptions {
  /** Keycloak's base URL (e.g. https://id.example.com); https, or http only on loopback. */
  url: string;
  /** Default "hitl". */
  realm?: string;
  /**
   * The confidential client whose service account reads users; default "hitl-verifier" (read
   * only). The hitl server passes its own "hitl-server".
   */
  clientId?: string;
  clientSecret: string;
  /** Every lookup (token + user + roles) answers within this, or denies; default 3000 ms. */
  timeoutMs?: number;
  /** How long an enabled approver's record is reused; bounds how late a revocation bites. Default 15 000 ms. */
  cacheTtlMs?: number;
  /** Default 10 000 approvers. */
  cacheMaxEntries?: number;
  /** How long "unknown / disabled / not an approver" is reused; default 15 000 ms. */
  negativeCacheTtlMs?: number;
  /** Bounded so that receipts naming random subjects cannot grow memory; default 1000. */
  negativeCacheMaxEntries?: number;
  /** Milliseconds since the epoch (key expiry); default Date.now. */
  clock?: () => number;
}

export interface NormalizedKeycloakOptions {
  baseUrl: string;
  realm: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  negativeCacheTtlMs: number;
  negativeCacheMaxEntries: number;
  clock: () => number;
}

/** At most 5 minutes: a cache longer than an access token's life would outlive a revocation too long. */
const MAX_CACHE_TTL_MS = 300_000;
const MAX_TIMEOUT_MS = 60_000;

function config(message: string): never {
  throw new HitlError("ERR_CONFIG", `KeycloakKeyDirectory: ${message}`);
}

function integerIn(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    config(`${name} must be an integer between ${min} and ${max}.`);
  }
  return value;
}

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

export function normalizeKeycloakOptions(options: KeycloakKeyDirectoryOptions): NormalizedKeycloakOptions {
  if (typeof options !== "object" || options === null) config("options { url, clientSecret } are required.");
  const {
    url,
    realm = KEYCLOAK_REALM,
    clientId = VERIFIER_CLIENT_ID,
    clientSecret,
    timeoutMs = 3000,
    cacheTtlMs = 15_000,
    cacheMaxEntries = 10_000,
    negativeCacheTtlMs = 15_000,
    negativeCacheMaxEntries = 1000,
    clock = Date.now,
  } = options;
  if (typeof url !== "string") config("url must be Keycloak's base URL, e.g. https://id.example.com.");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    config(`url "${url}" is not a URL; give Keycloak's base URL, e.g. https://id.example.com.`);
  }
  if (parsed.username !== "" || parsed.password !== "" || parsed.search !== "" || parsed.hash !== "") {
    config("url must not carry credentials, a query or a fragment.");
  }
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname))) {
    config(`url must use https (plain http only on loopback); got ${parsed.protocol}//${parsed.host}.`);
  }
  if (typeof realm !== "string" || !/^[A-Za-z0-9._-]{1,255}$/.test(realm)) config("realm must be a realm name.");
  if (typeof clientId !== "string" || clientId.length === 0 || clientId.length > 255)
    config("clientId must be the confidential client's id.");
  if (typeof clientSecret !== "string" || clientSecret.length === 0) {
    config(`clientSecret is required: the secret of the "${clientId}" client (Keycloak: Clients → ${clientId} → Credentials).`);
  }
  if (typeof clock !== "function") config("clock must be a function returning milliseconds since the epoch.");
  return {
    baseUrl: parsed.href.replace(/\/+$/, ""),
    realm,
    clientId,
    clientSecret,
    timeoutMs: integerIn(timeoutMs, "timeoutMs", 1, MAX_TIMEOUT_MS),
    cacheTtlMs: integerIn(cacheTtlMs, "cacheTtlMs", 0, MAX_CACHE_TTL_MS),
    cacheMaxEntries: integerIn(cacheMaxEntries, "cacheMaxEntries", 1, 1_000_000),
    negativeCacheTtlMs: integerIn(negativeCacheTtlMs, "negativeCacheTtlMs", 0, MAX_CACHE_TTL_MS),
    negativeCacheMaxEntries: integerIn(negativeCacheMaxEntries, "negativeCacheMaxEntries", 1, 1_000_000),
    clock,
  };
}
