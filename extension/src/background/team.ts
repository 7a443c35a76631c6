import { encodeBase64url, type KeyRegistrationStatement, PROTOCOL_VERSION, signingInput } from "@hitl/verifier/protocol";
import browser from "../lib/browser.js";
import { EXTENSION_CLIENT_ID, type TeamConfig, type TeamRegistration, type TeamRequest, type TeamStatus } from "../lib/team-messages.js";
import { writeIdentity } from "./identity.js";
import { fingerprintOf } from "./pair-requests.js";
import type { ApproverService } from "./service.js";

/*
 * Team mode in the worker: the addresses the human entered in the team window, the registration
 * the server confirmed, and signatures of registration statements by the browser's key. The
 * worker never receives a token. The addresses are only ever set from the team window (the
 * native host cannot set them: a hostile host must not point the extension at a fake Keycloak),
 * and the popup shows them with the time they last changed.
 */
const CONFIG_KEY = "hitl.team.config";
const CHANGED_KEY = "hitl.team.configChangedAt";
const REGISTRATION_KEY = "hitl.team.registration";
const REGISTRATION_STATEMENT_SECONDS = 120;

type Answer = { ok: true; value: unknown } | { ok: false; error: { code: "ERR_PROTOCOL" | "ERR_NO_KEY"; message: string } };

async function read<T>(key: string): Promise<T | undefined> {
  return (await browser.storage.local.get(key))[key] as T | undefined;
}

/** The team addresses the human entered in the team window, if any (this browser is in team mode). */
export function teamConfig(): Promise<TeamConfig | undefined> {
  return read<TeamConfig>(CONFIG_KEY);
}

export async function teamStatus(service: ApproverService): Promise<TeamStatus> {
  const status: TeamStatus = { clientId: EXTENSION_CLIENT_ID };
  const config = await read<TeamConfig>(CONFIG_KEY);
  const changedAt = await read<number>(CHANGED_KEY);
  const registration = await read<TeamRegistration>(REGISTRATION_KEY);
  if (config !== undefined) status.config = config;
  if (changedAt !== undefined) status.configChangedAt = changedAt;
  // A registration counts only for the key this browser holds now (a session key ends).
  if (registration !== undefined && registration.kid === service.key?.kid) status.registration = registration;
  if (service.key !== undefined) status.kid = service.key.kid;
  return status;
}

export async function handleTeamMessage(service: ApproverService, message: TeamRequest, nowMs: number): Promise<Answer> {
  switch (message.type) {
    case "team.status":
      return { ok: true, value: await teamStatus(service) };
    case "team.configure": {
      const before = await read<TeamConfig>(CONFIG_KEY);
      const same =
        before !== undefined &&
        before.keycloakUrl === message.config.keycloakUrl &&
        before.realm === message.config.realm &&
        before.serverUrl === message.config.serverUrl;
      if (!same) {
        // New addresses: the old registration belonged to another server; drop it.
        await browser.storage.local.set({ [CONFIG_KEY]: message.config, [CHANGED_KEY]: nowMs });
        await browser.storage.local.remove(REGISTRATION_KEY);
      }
      return { ok: true, value: await teamStatus(service) };
    }
    case "team.signRegistration": {
      const config = await read<TeamConfig>(CONFIG_KEY);
      if (config === undefined) return { ok: false, error: { code: "ERR_PROTOCOL", message: "Team mode is not configured." } };
      // The token's issuer must be the Keycloak the human configured (the server compares it too).
      if (message.iss !== `${config.keycloakUrl}/realms/${config.realm}`) {
        return { ok: false, error: { code: "ERR_PROTOCOL", message: `The login came from ${message.iss}, not the configured Keycloak.` } };
      }
      // Team mode registers only a session key (memory only, background/key-lifetime.ts): a
      // persistent key sits in the profile on disk, where a program running as the user (the
      // agent team mode guards against) can copy it and sign on its own. A persistent key from
      // local pairing is replaced, not registered.
      const key = await service.keyForPairing("session");
      const iat = Math.floor(nowMs / 1000);
      const statement: KeyRegistrationStatement = {
        v: PROTOCOL_VERSION,
        iss: message.iss,
        sub: message.sub,
        kid: key.kid,
        publicKey: key.publicKeyRaw,
        aud: config.serverUrl,
        iat,
        // Short-lived and single use (the server consumes the nonce): only this registration.
        exp: iat + REGISTRATION_STATEMENT_SECONDS,
        nonce: encodeBase64url(crypto.getRandomValues(new Uint8Array(32))),
      };
      const sig = await key.sign(signingInput("keyRegistration", statement));
      return { ok: true, value: { statement, sig } };
    }
    case "team.registered": {
      const config = await read<TeamConfig>(CONFIG_KEY);
      if (config === undefined || service.key?.kid !== message.kid) {
        return { ok: false, error: { code: "ERR_NO_KEY", message: "This browser's key changed during registration; register again." } };
      }
      const registration: TeamRegistration = {
        sub: message.sub,
        username: message.username,
        kid: message.kid,
        fingerprint: fingerprintOf(message.kid) ?? message.kid,
        expiresAt: message.expiresAt,
        serverUrl: config.serverUrl,
      };
      await browser.storage.local.set({ [REGISTRATION_KEY]: registration });
      // Receipts name the Keycloak user id as their subject from now on.
      await writeIdentity({ subject: message.sub, kid: message.kid, pairedAt: Math.floor(nowMs / 1000) });
      return { ok: true, value: registration };
    }
    case "team.forget":
      await browser.storage.local.remove(REGISTRATION_KEY);
      return { ok: true, value: null };
    default:
      return { ok: false, error: { code: "ERR_PROTOCOL", message: "Not a team message." } };
  }
}
