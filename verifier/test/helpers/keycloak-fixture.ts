import type KeycloakAdminClient from "@keycloak/keycloak-admin-client";
import type { KeycloakStandIn } from "../../../oauth/stand-in/index.js";
import { APPROVER_ROLE, KEYCLOAK_REALM, KEYS_ATTRIBUTE } from "../../src/keys/lib/keycloak-realm.js";

/**
 * What the directory tests need from a Keycloak: users to create and change as an admin would.
 * Two implementations: the stand-in (its in-process helpers) and a real Keycloak (the official
 * admin client with a master-realm admin), so the SAME tests run against both.
 */
export interface KeycloakFixture {
  kind: "stand-in" | "real Keycloak";
  /** Keycloak base URL. */
  url: string;
  /** The hitl-verifier client's secret (the directory's default client). */
  clientSecret: string;
  createUser(spec: { username: string; enabled?: boolean; approver?: boolean; keys?: string[] }): Promise<{ id: string; username: string }>;
  setEnabled(id: string, enabled: boolean): Promise<void>;
  setApprover(id: string, approver: boolean): Promise<void>;
  setKeys(id: string, keys: string[]): Promise<void>;
  cleanup(): Promise<void>;
}

let counter = 0;
/** Unique per run, so a real Keycloak can run the suite again and again. */
export function uniqueUsername(base: string): string {
  counter += 1;
  return `${base}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function standInFixture(kc: KeycloakStandIn): KeycloakFixture {
  const helpers = kc.adminHelpers;
  return {
    kind: "stand-in",
    url: kc.url,
    clientSecret: kc.verifierClientSecret,
    async createUser({ username, enabled = true, approver = true, keys = [] }) {
      const user = helpers.addUser({
        username,
        password: "test-password",
        enabled,
        realmRoles: approver ? [APPROVER_ROLE] : [],
        attributes: keys.length > 0 ? { [KEYS_ATTRIBUTE]: keys } : {},
      });
      return { id: user.id, username: user.username };
    },
    async setEnabled(id, enabled) {
      helpers.setEnabled(id, enabled);
    },
    async setApprover(id, approver) {
      if (approver) helpers.grantRealmRole(id, APPROVER_ROLE);
      else helpers.revokeRealmRole(id, APPROVER_ROLE);
    },
    async setKeys(id, keys) {
      helpers.setAttribute(id, KEYS_ATTRIBUTE, keys);
    },
    async cleanup() {},
  };
}

/**
 * A real Keycloak 26 with the realm imported from oauth/realm-hitl.json:
 * HITL_KEYCLOAK_URL, HITL_KEYCLOAK_ADMIN_USER / HITL_KEYCLOAK_ADMIN_PASSWORD (master realm),
 * HITL_KEYCLOAK_VERIFIER_SECRET (the hitl-verifier client's secret).
 */
export async function realKeycloakFixture(env: NodeJS.ProcessEnv): Promise<KeycloakFixture> {
  const url = required(env, "HITL_KEYCLOAK_URL");
  const { default: Client } = await import("@keycloak/keycloak-admin-client");
  const admin: KeycloakAdminClient = new Client({ baseUrl: url, realmName: "master" });
  await admin.auth({
    grantType: "password",
    clientId: "admin-cli",
    username: required(env, "HITL_KEYCLOAK_ADMIN_USER"),
    password: required(env, "HITL_KEYCLOAK_ADMIN_PASSWORD"),
  });
  admin.setConfig({ realmName: KEYCLOAK_REALM });
  const role = await admin.roles.findOneByName({ name: APPROVER_ROLE });
  if (role?.id === undefined || role.name === undefined)
    throw new Error(`The realm has no role ${APPROVER_ROLE}; import oauth/realm-hitl.json.`);
  const approverRole = { id: role.id, name: role.name };
  const created: string[] = [];
  const fresh = async () => {
    if (admin.isTokenExpired()) {
      await admin.auth({
        grantType: "password",
        clientId: "admin-cli",
        username: required(env, "HITL_KEYCLOAK_ADMIN_USER"),
        password: required(env, "HITL_KEYCLOAK_ADMIN_PASSWORD"),
      });
    }
  };
  /** Keycloak replaces the managed attributes with those sent: send the whole representation. */
  const update = async (id: string, change: (rep: Record<string, unknown>) => void) => {
    await fresh();
    const rep = (await admin.users.findOne({ id })) as Record<string, unknown> | undefined;
    if (rep === undefined) throw new Error(`no user ${id}`);
    change(rep);
    await admin.users.update({ id }, rep);
  };
  return {
    kind: "real Keycloak",
    url,
    clientSecret: required(env, "HITL_KEYCLOAK_VERIFIER_SECRET"),
    async createUser({ username, enabled = true, approver = true, keys = [] }) {
      await fresh();
      const { id } = await admin.users.create({
        username,
        enabled,
        email: `${username}@example.test`,
        firstName: "Test",
        lastName: "User",
        attributes: keys.length > 0 ? { [KEYS_ATTRIBUTE]: keys } : {},
      });
      created.push(id);
      if (approver) await admin.users.addRealmRoleMappings({ id, roles: [approverRole] });
      return { id, username: username.toLowerCase() };
    },
    async setEnabled(id, enabled) {
      await update(id, (rep) => {
        rep.enabled = enabled;
      });
    },
    async setApprover(id, approver) {
      await fresh();
      if (approver) await admin.users.addRealmRoleMappings({ id, roles: [approverRole] });
      else await admin.users.delRealmRoleMappings({ id, roles: [approverRole] });
    },
    async setKeys(id, keys) {
      await update(id, (rep) => {
        rep.attributes = { ...((rep.attributes as Record<string, string[]> | undefined) ?? {}), [KEYS_ATTRIBUTE]: keys };
      });
    },
    async cleanup() {
      await fresh();
      for (const id of created) await admin.users.del({ id });
    },
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`${name} is required to run the contract suite against a real Keycloak.`);
  return value;
}
