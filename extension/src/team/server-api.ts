import type { KeyRegistrationStatement } from "@hitl/verifier/protocol";
import type Keycloak from "keycloak-js";
import { ask } from "../lib/send.js";
import type { TeamKeyView, TeamRegistration } from "../lib/team-messages.js";

/*
 * The team window's calls to the hitl server (docs/protocol.md, team mode HTTP API). The access
 * token goes in the Authorization header of these requests and nowhere else.
 */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

const TIMEOUT_MS = 10_000;

async function call(serverUrl: string, token: string, method: string, path: string, body?: unknown): Promise<ApiResult<unknown>> {
  let response: Response;
  try {
    response = await fetch(`${serverUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      credentials: "omit",
      redirect: "error",
    });
  } catch (error) {
    return {
      ok: false,
      code: "ERR_SERVER_UNREACHABLE",
      message: `The hitl server at ${serverUrl} did not answer (${error instanceof Error ? error.message : String(error)}).`,
    };
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return { ok: true, value: parsed };
  const error = parsed as { code?: unknown; message?: unknown } | undefined;
  return {
    ok: false,
    code: typeof error?.code === "string" ? error.code : `HTTP_${response.status}`,
    message: typeof error?.message === "string" ? error.message : `The hitl server answered ${response.status}.`,
  };
}

/** Sign a registration statement with this browser's key (in the worker) and send it. */
export async function registerKey(serverUrl: string, kc: Keycloak): Promise<ApiResult<TeamRegistration>> {
  const sub = kc.subject;
  const username = kc.tokenParsed?.preferred_username;
  const iss = kc.tokenParsed?.iss;
  if (kc.token === undefined || sub === undefined || typeof username !== "string" || typeof iss !== "string") {
    return { ok: false, code: "ERR_TEAM_LOGIN_FAILED", message: "Not signed in." };
  }
  const signed = await ask<{ statement: KeyRegistrationStatement; sig: string }>({ type: "team.signRegistration", iss, sub });
  if (!signed.ok) return { ok: false, code: signed.error.code, message: signed.error.message };
  const result = await call(serverUrl, kc.token, "POST", "/v1/keys", signed.value);
  if (!result.ok) return result;
  const value = (result.value as { key?: { kid?: unknown; expiresAt?: unknown } } | null)?.key;
  if (value?.kid !== signed.value.statement.kid || typeof value.expiresAt !== "number") {
    return { ok: false, code: "ERR_PROTOCOL", message: "The hitl server's answer to the registration is malformed." };
  }
  const adopted = await ask<TeamRegistration>({
    type: "team.registered",
    sub,
    username,
    kid: value.kid as string,
    expiresAt: value.expiresAt,
  });
  return adopted.ok ? adopted : { ok: false, code: adopted.error.code, message: adopted.error.message };
}

export async function listKeys(serverUrl: string, token: string, ownKid: string | undefined): Promise<ApiResult<TeamKeyView[]>> {
  const result = await call(serverUrl, token, "GET", "/v1/keys");
  if (!result.ok) return result;
  const keys = (result.value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return { ok: false, code: "ERR_PROTOCOL", message: "The hitl server's key list is malformed." };
  return {
    ok: true,
    value: keys.map((k: { kid: string; createdAt: number; expiresAt: number; revokedAt?: number }) => {
      const view: TeamKeyView = { kid: k.kid, createdAt: k.createdAt, expiresAt: k.expiresAt, thisBrowser: k.kid === ownKid };
      if (typeof k.revokedAt === "number") view.revokedAt = k.revokedAt;
      return view;
    }),
  };
}

export async function revokeKey(serverUrl: string, token: string, kid: string): Promise<ApiResult<unknown>> {
  return call(serverUrl, token, "DELETE", `/v1/keys/${encodeURIComponent(kid)}`);
}
