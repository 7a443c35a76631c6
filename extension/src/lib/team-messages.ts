/*
 * Team mode messages between the team sign-in window and the service worker. The worker keeps
 * the configuration (addresses, not secrets) and the key; the window keeps the tokens. No message
 * here carries a token: the worker signs a registration statement for the window, and learns the
 * outcome, never the credential that made it.
 */

import { isOneLineName, KEY_REGISTRATION, LIMITS } from "@hitl/verifier/protocol";
import { DIGEST, UUID_V4 } from "./patterns.js";

/** Registration needs a login at most this old (`max_age`, checked again through `auth_time`). */
export const FRESH_LOGIN_SECONDS = 120;

/** The OIDC client the extension is in the realm (oauth/realm-hitl.json). */
export const EXTENSION_CLIENT_ID = "hitl-extension";

export interface TeamConfig {
  keycloakUrl: string;
  realm: string;
  serverUrl: string;
}

export interface TeamRegistration {
  /** Keycloak user id: the `sub` of receipts this browser signs in team mode. */
  sub: string;
  username: string;
  kid: string;
  fingerprint: string;
  expiresAt: number;
  serverUrl: string;
}

export interface TeamStatus {
  clientId: string;
  config?: TeamConfig;
  /** When the addresses last changed (ms), shown by the popup so a change cannot go unnoticed. */
  configChangedAt?: number;
  registration?: TeamRegistration;
  /** The key this browser would register (made on first use). */
  kid?: string;
}

export interface TeamKeyView {
  kid: string;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
  thisBrowser: boolean;
}

/** A team window about the `hitl keys` request the worker opened it for (background/team-cli.ts). */
export type TeamCliRequest =
  /** Which request this window answers, if any; `signedIn` tells the worker what closing the window means. */
  | { type: "team.cli.get"; signedIn: boolean }
  | { type: "team.cli.listed"; requestId: string; keys: unknown }
  | { type: "team.cli.revoked"; requestId: string; kid: string }
  | { type: "team.cli.fail"; requestId: string; code: string; message: string };

export type TeamRequest =
  | TeamCliRequest
  | { type: "team.status" }
  | { type: "team.configure"; config: TeamConfig }
  /** Sign a key-registration statement for `sub` addressed to the configured server. */
  | { type: "team.signRegistration"; iss: string; sub: string }
  /** The server accepted the registration: sign in team mode as `sub` from now on. */
  | { type: "team.registered"; sub: string; username: string; kid: string; expiresAt: number }
  /** This browser's key was revoked: stop presenting it as registered. */
  | { type: "team.forget" };

function exactKeys(record: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(record);
  return own.length === keys.length && own.every((k) => keys.includes(k));
}

/**
 * An https URL without credentials, query or fragment; plain http only to a loopback address
 * (a local test setup). Returned normalized (origin + path without a trailing slash).
 */
export function parseServiceUrl(value: unknown): string | undefined {
  if (typeof value !== "string" || value.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return undefined;
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export function parseTeamConfig(value: unknown): TeamConfig | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const r = value as Record<string, unknown>;
  if (!exactKeys(r, ["keycloakUrl", "realm", "serverUrl"])) return undefined;
  const keycloakUrl = parseServiceUrl(r.keycloakUrl);
  const serverUrl = parseServiceUrl(r.serverUrl);
  if (keycloakUrl === undefined || serverUrl === undefined) return undefined;
  if (typeof r.realm !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(r.realm)) return undefined;
  return { keycloakUrl, realm: r.realm, serverUrl };
}

export function parseTeamRequest(value: Record<string, unknown>): TeamRequest | undefined {
  switch (value.type) {
    case "team.status":
    case "team.forget":
      return exactKeys(value, ["type"]) ? { type: value.type } : undefined;
    case "team.configure": {
      if (!exactKeys(value, ["type", "config"])) return undefined;
      const config = parseTeamConfig(value.config);
      return config === undefined ? undefined : { type: value.type, config };
    }
    case "team.signRegistration":
      return exactKeys(value, ["type", "iss", "sub"]) &&
        isOneLineName(value.sub, LIMITS.subjectBytes) &&
        isOneLineName(value.iss, KEY_REGISTRATION.urlBytes)
        ? { type: value.type, iss: value.iss, sub: value.sub }
        : undefined;
    case "team.registered": {
      if (!exactKeys(value, ["type", "sub", "username", "kid", "expiresAt"])) return undefined;
      const { sub, username, kid, expiresAt } = value;
      if (!isOneLineName(sub, LIMITS.subjectBytes) || !isOneLineName(username, LIMITS.subjectBytes)) return undefined;
      if (typeof kid !== "string" || !DIGEST.test(kid) || !Number.isSafeInteger(expiresAt)) return undefined;
      return { type: value.type, sub, username, kid, expiresAt: expiresAt as number };
    }
    case "team.cli.get":
      return exactKeys(value, ["type", "signedIn"]) && typeof value.signedIn === "boolean"
        ? { type: value.type, signedIn: value.signedIn }
        : undefined;
    case "team.cli.listed":
      return exactKeys(value, ["type", "requestId", "keys"]) && isRequestId(value.requestId)
        ? { type: value.type, requestId: value.requestId, keys: value.keys }
        : undefined;
    case "team.cli.revoked":
      return exactKeys(value, ["type", "requestId", "kid"]) &&
        isRequestId(value.requestId) &&
        typeof value.kid === "string" &&
        DIGEST.test(value.kid)
        ? { type: value.type, requestId: value.requestId, kid: value.kid }
        : undefined;
    case "team.cli.fail":
      return exactKeys(value, ["type", "requestId", "code", "message"]) &&
        isRequestId(value.requestId) &&
        typeof value.code === "string" &&
        /^[A-Z0-9_]{1,64}$/.test(value.code) &&
        typeof value.message === "string" &&
        value.message.length <= 2048
        ? { type: value.type, requestId: value.requestId, code: value.code, message: value.message }
        : undefined;
    default:
      return undefined;
  }
}

function isRequestId(value: unknown): value is string {
  return typeof value === "string" && UUID_V4.test(value);
}
