import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HitlError } from "@hitl/verifier";

/*
 * Team mode's one switch: $HITL_CONFIG_DIR/team.json. Present = team mode (receipts are verified
 * by the organisation's hitl server against keys registered in Keycloak; the local approvers file
 * is not consulted); absent = local mode. Written by `hitl setup --team URL`.
 *
 *   { "v": 1, "server": "https://hitl.example.com", "keycloak": "https://id.example.com",
 *     "realm": "hitl", "clientId": "hitl-verifier" }
 *
 * The client secret for /v1/verify (client credentials) is kept beside it in team-client-secret,
 * mode 0600, never in team.json (which doctor prints) and never on a command line.
 */
export interface TeamConfig {
  v: 1;
  server: string;
  keycloak: string;
  realm: string;
  clientId: string;
}

export const TEAM_CONFIG_FILE = "team.json";
export const TEAM_SECRET_FILE = "team-client-secret";
const MAX_CONFIG_BYTES = 4096;

function invalid(file: string, why: string): HitlError {
  return new HitlError("ERR_TEAM_CONFIG_INVALID", `${file}: ${why}. Run 'hitl setup --team URL --keycloak URL' again.`);
}

/** An https URL without credentials, query or fragment (http only to loopback, for a local setup). */
export function parseServiceUrl(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) throw new HitlError("ERR_USAGE", `${what} must be a URL.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HitlError("ERR_USAGE", `${what} is not a URL: ${JSON.stringify(value)}.`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "")
    throw new HitlError("ERR_USAGE", `${what} must not contain credentials, a query or a fragment.`);
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw new HitlError("ERR_USAGE", `${what} must use https (plain http only to 127.0.0.1 or localhost).`);
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** The team configuration, or undefined in local mode. Any fault is ERR_TEAM_CONFIG_INVALID: never silently local. */
export function readTeamConfig(configDir: string): TeamConfig | undefined {
  const file = join(configDir, TEAM_CONFIG_FILE);
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) throw invalid(file, `larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    if (error instanceof HitlError) throw error;
    throw invalid(file, `cannot be read (${(error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(file, "is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(file, "is not an object");
  const r = value as Record<string, unknown>;
  const keys = Object.keys(r).sort().join(",");
  if (keys !== "clientId,keycloak,realm,server,v") throw invalid(file, "must have exactly v, server, keycloak, realm, clientId");
  if (r.v !== 1) throw invalid(file, "has an unsupported version");
  if (typeof r.realm !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(r.realm)) throw invalid(file, "has a bad realm");
  if (typeof r.clientId !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(r.clientId)) throw invalid(file, "has a bad clientId");
  try {
    return {
      v: 1,
      server: parseServiceUrl(r.server, "server"),
      keycloak: parseServiceUrl(r.keycloak, "keycloak"),
      realm: r.realm,
      clientId: r.clientId,
    };
  } catch (error) {
    throw invalid(file, (error as Error).message);
  }
}

export function writeTeamConfig(configDir: string, config: TeamConfig, clientSecret: string | undefined): void {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const file = join(configDir, TEAM_CONFIG_FILE);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  if (clientSecret !== undefined) {
    const secretFile = join(configDir, TEAM_SECRET_FILE);
    writeFileSync(secretFile, `${clientSecret}\n`, { mode: 0o600 });
    chmodSync(secretFile, 0o600);
  }
}

/** The /v1/verify client secret; ERR_TEAM_CONFIG_INVALID when missing or readable by others. */
export function readTeamClientSecret(configDir: string): string {
  const file = join(configDir, TEAM_SECRET_FILE);
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    throw new HitlError(
      "ERR_TEAM_CONFIG_INVALID",
      `${file} is missing. Run 'hitl setup --team URL --keycloak URL --client-secret-file FILE'.`,
    );
  }
  if ((mode & 0o077) !== 0) throw new HitlError("ERR_TEAM_CONFIG_INVALID", `${file} is readable by others: run 'chmod 600 ${file}'.`);
  const secret = readFileSync(file, "utf8").trim();
  if (secret.length < 16 || secret.length > 512 || /\s/.test(secret))
    throw new HitlError("ERR_TEAM_CONFIG_INVALID", `${file} does not hold a client secret.`);
  return secret;
}
