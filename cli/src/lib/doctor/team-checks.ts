import { readTeamClientSecret, serviceToken, type TeamConfig } from "@hitl/sdk/internal";
import { formatFingerprint, type HealthResponseBody, HitlError } from "@hitl/verifier";
import { type CheckResult, fail, pass, skip } from "./check.js";

/*
 * Team mode's links, each with its fix: the hitl server (and, as it reports them, its Redis and
 * Keycloak), this machine's Keycloak address, the /v1/verify client credentials, and whether the
 * browser signs as a Keycloak account.
 */
const TIMEOUT_MS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> | undefined }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "error" });
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  return { status: response.status, body };
}

function reason(error: unknown): string {
  return error instanceof Error ? (error.name === "TimeoutError" ? `no answer in ${TIMEOUT_MS / 1000} s` : error.message) : String(error);
}

export async function checkTeamServer(config: TeamConfig): Promise<CheckResult> {
  const name = "team server";
  const url = `${config.server}/v1/health`;
  try {
    const { status, body } = await getJson(url);
    if (status === 200 && body?.status === "ok")
      return pass(name, `${config.server} is up (Redis ${String(body.redis)}, Keycloak ${String(body.keycloak)})`);
    const broken = JSON.stringify(body?.error ?? body ?? {});
    return fail(
      name,
      `${url} answered ${status}: ${broken}`,
      "ERR_TEAM_SERVER_REFUSED",
      "The server runs but a link behind it is down: ask your admin to check its Redis and Keycloak (docker compose ps; docker compose logs hitl-server).",
    );
  } catch (error) {
    return fail(
      name,
      `${url}: ${reason(error)}`,
      "ERR_TEAM_SERVER_UNREACHABLE",
      "Check the address (hitl setup --team URL) and your network; ask your admin whether the hitl server runs.",
    );
  }
}

export async function checkTeamKeycloak(config: TeamConfig): Promise<CheckResult> {
  const name = "team Keycloak";
  const issuer = `${config.keycloak}/realms/${config.realm}`;
  try {
    const { status, body } = await getJson(`${issuer}/.well-known/openid-configuration`);
    if (status === 200 && body?.issuer === issuer) return pass(name, `${issuer} answers`);
    return fail(
      name,
      `${issuer}: discovery answered ${status}${body?.issuer === undefined ? "" : ` for issuer ${String(body.issuer)}`}`,
      "ERR_KEYCLOAK_UNREACHABLE",
      "Check --keycloak and --realm (hitl setup --team URL --keycloak URL --realm NAME).",
    );
  } catch (error) {
    return fail(name, `${issuer}: ${reason(error)}`, "ERR_KEYCLOAK_UNREACHABLE", "Check the Keycloak address and your network.");
  }
}

export async function checkTeamClient(config: TeamConfig, configDir: string, keycloak: CheckResult): Promise<CheckResult> {
  const name = "verify client";
  if (keycloak.status !== "pass") return skip(name, `client ${config.clientId} not tried`, "Fix the Keycloak check first.");
  try {
    await serviceToken(config, readTeamClientSecret(configDir));
    return pass(name, `client ${config.clientId} gets a token for /v1/verify`);
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return fail(
      name,
      error.message,
      error.code,
      "Get the client secret from your admin, then: hitl setup --team URL --keycloak URL --client-secret-file FILE.",
    );
  }
}

/** The browser signs as a Keycloak account (a user id, set by the team window's registration). */
export function checkTeamLogin(health: HealthResponseBody | undefined): CheckResult {
  const name = "team login";
  const extension = health?.extension;
  if (extension === undefined || !extension.connected)
    return skip(name, "the extension is not connected", "Fix the host and extension checks first.");
  if (extension.kid === undefined)
    return fail(
      name,
      "the browser holds no key",
      "ERR_NO_KEY",
      "hitl toolbar button → Team sign-in… → Sign in and register this browser's key.",
    );
  if (extension.subject === undefined || !UUID.test(extension.subject)) {
    return fail(
      name,
      `the browser signs as ${JSON.stringify(extension.subject ?? "nobody")}, not as a Keycloak account`,
      "ERR_NOT_PAIRED",
      "hitl toolbar button → Team sign-in… → Sign in and register this browser's key.",
    );
  }
  return pass(
    name,
    `the browser signs as Keycloak user ${extension.subject} with key ${formatFingerprint(extension.kid)}; whether that key is registered and unexpired is shown in the toolbar popup and checked by the server at every request`,
  );
}
