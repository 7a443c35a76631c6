import { HitlError, keycloakRealm } from "@hitl/verifier";
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";

/** The claims the server relies on, read after the signature and the standard claims verified. */
export interface TokenClaims extends JWTPayload {
  sub: string;
  azp?: string;
  typ?: string;
  auth_time?: number;
  preferred_username?: string;
  realm_access?: { roles?: string[] };
  resource_access?: Record<string, { roles?: string[] }>;
}

/** Asymmetric algorithms Keycloak signs access tokens with; never "none", never HMAC. */
const ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"];
/** Clock tolerance for exp/iat/auth_time, seconds: the protocol's skew. */
export const TOKEN_LEEWAY_SECONDS = 30;

export interface AccessTokenVerifier {
  /** A realm access token, any client: signature, issuer, typ Bearer, exp/iat, sub. */
  verify(authorization: string | undefined): Promise<TokenClaims>;
}

/**
 * Verifies the realm's JWT access tokens against its JWKS (fetched from Keycloak, cached by
 * jose, refetched on an unknown `kid` at most every 30 s). A JWKS that cannot be fetched is a
 * Keycloak failure (503), not a bad token.
 */
export function accessTokenVerifier(options: {
  issuer: string;
  jwksUrl: string;
  timeoutMs: number;
  clock?: () => number;
}): AccessTokenVerifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: options.timeoutMs, cooldownDuration: 30_000 });
  const clock = options.clock ?? Date.now;
  return {
    async verify(authorization) {
      const token = bearer(authorization);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: options.issuer,
          algorithms: ALGORITHMS,
          clockTolerance: TOKEN_LEEWAY_SECONDS,
          currentDate: new Date(clock()),
          requiredClaims: ["exp", "iat", "sub"],
        }));
      } catch (error) {
        throw tokenFailure(error, options.issuer, options.timeoutMs);
      }
      if (payload.typ !== "Bearer") throw invalid("it is not an access token (typ is not Bearer)");
      if (typeof payload.sub !== "string" || payload.sub.length === 0) throw invalid("it names no subject");
      return payload as TokenClaims;
    },
  };
}

/** The user's token from the extension: azp hitl-extension and aud containing hitl-server. */
export function assertExtensionToken(claims: TokenClaims): void {
  if (claims.azp !== keycloakRealm.EXTENSION_CLIENT_ID)
    throw invalid(`it was issued to "${String(claims.azp)}", not to the hitl extension`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(keycloakRealm.SERVER_CLIENT_ID)) throw invalid(`its audience does not contain ${keycloakRealm.SERVER_CLIENT_ID}`);
}

/** `auth_time` no older than maxAgeSeconds (+ leeway): a login the human just made, not a refreshed session. */
export function assertFreshLogin(claims: TokenClaims, maxAgeSeconds: number, nowMs: number): void {
  const authTime = claims.auth_time;
  if (typeof authTime !== "number" || !Number.isSafeInteger(authTime)) {
    throw new HitlError(
      "ERR_LOGIN_NOT_FRESH",
      "The access token carries no auth_time; sign in again in the extension (a fresh login is required to register a key).",
    );
  }
  const age = Math.floor(nowMs / 1000) - authTime;
  if (age > maxAgeSeconds || authTime > Math.floor(nowMs / 1000) + TOKEN_LEEWAY_SECONDS) {
    throw new HitlError(
      "ERR_LOGIN_NOT_FRESH",
      `The login behind this token is ${age} s old; registering a key needs a login of at most ${maxAgeSeconds} s. Sign in again in the extension (it asks Keycloak with max_age=${maxAgeSeconds}) and register at once.`,
    );
  }
}

function bearer(authorization: string | undefined): string {
  if (authorization === undefined || authorization === "") {
    throw new HitlError("ERR_TOKEN_MISSING", "No access token: send Authorization: Bearer <access token from the hitl realm>.");
  }
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization);
  if (match === null || authorization.length > 16_384) throw invalid('the Authorization header is not "Bearer <JWT>"');
  return match[1]!;
}

function invalid(why: string): HitlError {
  return new HitlError("ERR_TOKEN_INVALID", `The access token is refused: ${why}. Sign in again and retry.`);
}

function tokenFailure(error: unknown, issuer: string, timeoutMs: number): HitlError {
  if (error instanceof joseErrors.JWTExpired) {
    return new HitlError("ERR_TOKEN_EXPIRED", "The access token has expired. Get a new one (sign in again) and retry.");
  }
  if (error instanceof joseErrors.JWKSTimeout) {
    return new HitlError(
      "ERR_KEYCLOAK_TIMEOUT",
      `Keycloak's JWKS (${issuer}) did not answer within ${timeoutMs} ms; tokens cannot be checked. Try again.`,
    );
  }
  if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSNoMatchingKey)) {
    return invalid(error.message);
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) return invalid("no key of the realm signed it");
  return new HitlError(
    "ERR_KEYCLOAK_UNREACHABLE",
    `Keycloak's JWKS (${issuer}) cannot be fetched; tokens cannot be checked. Check that Keycloak runs.`,
    {
      cause: error,
    },
  );
}
