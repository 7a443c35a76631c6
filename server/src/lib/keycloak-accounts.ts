import { HitlError, keycloakRealm } from "@hitl/verifier";
import type KeycloakAdminClient from "@keycloak/keycloak-admin-client";
import type UserRepresentation from "@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js";
import { keycloakFailure } from "./keycloak-failure.js";

/** One user as the registration routes need it: the whole representation (a PUT replaces attributes). */
export interface Account {
  id: string;
  username: string;
  enabled: boolean;
  serviceAccount: boolean;
  approver: boolean;
  keyValues: string[];
  representation: UserRepresentation;
}

export interface KeycloakAccounts {
  /** The user, or undefined when Keycloak has no user with this id. */
  find(sub: string): Promise<Account | undefined>;
  /** Replace the user's hitl_keys values (the rest of the representation as read). */
  writeKeys(account: Account, values: string[]): Promise<void>;
  /** A cheap authenticated call, for /v1/health. */
  ping(): Promise<void>;
}

/**
 * Keycloak's Admin REST API through the official admin client, as the hitl-server service
 * account (realm-management view-users + manage-users). Its token is cached until shortly before
 * it expires; every call is bounded by timeoutMs.
 */
export async function openKeycloakAccounts(options: {
  url: string;
  realm: string;
  clientSecret: string;
  timeoutMs: number;
}): Promise<KeycloakAccounts> {
  const { default: Client } = await import("@keycloak/keycloak-admin-client");
  const connection = { baseUrl: options.url, realmName: options.realm, timeout: options.timeoutMs };
  const client: KeycloakAdminClient = new Client(connection);
  const tokenClient: KeycloakAdminClient = new Client(connection);
  const where = `Keycloak at ${options.url} (realm ${options.realm})`;
  let cached: { value: string; refreshAtMs: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const startedMs = Date.now();
    try {
      await tokenClient.auth({
        grantType: "client_credentials",
        clientId: keycloakRealm.SERVER_CLIENT_ID,
        clientSecret: options.clientSecret,
      });
    } catch (error) {
      const status = (error as { response?: { status?: number } }).response?.status;
      // The token endpoint answers 400/401 invalid_client for a wrong secret.
      if (status === 400) throw keycloakFailure(Object.assign(error as object, { response: { status: 401 } }), where, options.timeoutMs);
      throw keycloakFailure(error, where, options.timeoutMs);
    }
    const value = tokenClient.accessToken;
    if (typeof value !== "string") throw new HitlError("ERR_KEYCLOAK_UNAUTHORIZED", `${where} issued no service-account token.`);
    const exp = expOf(value);
    cached = { value, refreshAtMs: exp === undefined ? startedMs + 30_000 : Math.max(startedMs, exp * 1000 - 10_000) };
    return value;
  };
  client.registerTokenProvider({
    getAccessToken: async () => {
      if (cached !== undefined && Date.now() < cached.refreshAtMs) return cached.value;
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
  });

  /** One call; a token Keycloak no longer accepts (restart) is fetched again once. */
  const call = async <T>(request: () => Promise<T>): Promise<T> => {
    try {
      return await request();
    } catch (error) {
      if ((error as { response?: { status?: number } }).response?.status !== 401) throw keycloakFailure(error, where, options.timeoutMs);
    }
    cached = undefined;
    try {
      return await request();
    } catch (error) {
      throw keycloakFailure(error, where, options.timeoutMs);
    }
  };

  return {
    async find(sub) {
      const user = await call(() => client.users.findOne({ id: sub }));
      if (user === undefined || user === null) return undefined;
      if (user.id !== sub || typeof user.username !== "string") {
        throw new HitlError("ERR_KEYCLOAK_UNREACHABLE", `${where} answered with another user than ${sub}; nothing was written.`);
      }
      const serviceAccount = typeof user.serviceAccountClientId === "string";
      const roles =
        serviceAccount || user.enabled !== true ? [] : await call(() => client.users.listCompositeRealmRoleMappings({ id: sub }));
      const values = user.attributes?.[keycloakRealm.KEYS_ATTRIBUTE];
      if (values !== undefined && (!Array.isArray(values) || values.some((value) => typeof value !== "string"))) {
        throw new HitlError(
          "ERR_KEY_ENTRY_INVALID",
          `The ${keycloakRealm.KEYS_ATTRIBUTE} attribute of "${user.username}" is not a list of strings. Have an admin correct it.`,
        );
      }
      return {
        id: sub,
        username: user.username,
        enabled: user.enabled === true,
        serviceAccount,
        approver: roles.some((role) => role.name === keycloakRealm.APPROVER_ROLE),
        keyValues: (values as string[] | undefined) ?? [],
        representation: user,
      };
    },
    async writeKeys(account, values) {
      const representation: UserRepresentation = {
        ...account.representation,
        attributes: { ...account.representation.attributes, [keycloakRealm.KEYS_ATTRIBUTE]: values },
      };
      // Read-only fields Keycloak ignores or refuses on PUT.
      delete representation.access;
      delete representation.userProfileMetadata;
      await call(() => client.users.update({ id: account.id }, representation));
    },
    async ping() {
      // Reads the service account's own user: proves the token endpoint, the secret and view-users.
      const self = await call(async () => {
        const token = await client.getAccessToken();
        const sub = token === undefined ? undefined : subOf(token);
        if (sub === undefined)
          throw new HitlError("ERR_KEYCLOAK_UNAUTHORIZED", `${where} issued a service-account token without a subject.`);
        return client.users.findOne({ id: sub });
      });
      if (self === undefined || self === null)
        throw new HitlError("ERR_KEYCLOAK_UNAUTHORIZED", `${where} does not show the hitl-server service account.`);
    },
  };
}

/** Only to schedule a refresh and to name ourselves; Keycloak checks the token, we need not. */
function claimsOf(token: string): Record<string, unknown> {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function expOf(token: string): number | undefined {
  const exp = claimsOf(token).exp;
  return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
}

function subOf(token: string): string | undefined {
  const sub = claimsOf(token).sub;
  return typeof sub === "string" && sub.length > 0 ? sub : undefined;
}
