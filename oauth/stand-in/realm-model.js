import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The realm as the stand-in holds it, built FROM oauth/realm-hitl.json the way Keycloak's import
 * builds it: realm roles plus the `default-roles-<realm>` composite, the realm-management client
 * roles, clients with their scope mappings, service-account users, and the declarative user
 * profile. Test users are added on top. Nothing here is configured twice.
 */

export const REALM_FILE = new URL("../realm-hitl.json", import.meta.url);

/** Keycloak's realm-management client roles the stand-in knows, with their composites (as in Keycloak 26). */
const REALM_MANAGEMENT_ROLES = {
  "view-users": ["query-users", "query-groups"],
  "manage-users": [],
  "query-users": [],
  "query-groups": [],
  "view-realm": [],
  "manage-realm": [],
};

/**
 * Keycloak replaces `${NAME}` in an imported realm with the environment variable NAME (and leaves
 * unknown ones, such as the user profile's message keys, as they are). The stand-in takes the
 * values from its options instead of its environment.
 */
function substitute(text, variables) {
  return text.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (whole, name) => (Object.hasOwn(variables, name) ? variables[name] : whole));
}

export function loadRealm(variables, file = REALM_FILE) {
  const raw = readFileSync(file, "utf8");
  const rep = JSON.parse(substitute(raw, variables));
  const name = rep.realm;
  const defaultRole = `default-roles-${name}`;
  const realmRoles = new Map();
  for (const role of rep.roles?.realm ?? []) realmRoles.set(role.name, { name: role.name, composites: [] });
  realmRoles.set("offline_access", { name: "offline_access", composites: [] });
  realmRoles.set("uma_authorization", { name: "uma_authorization", composites: [] });
  realmRoles.set(defaultRole, { name: defaultRole, composites: ["offline_access", "uma_authorization"] });
  for (const role of realmRoles.values()) role.id = randomUUID();

  const profileComponent = rep.components?.["org.keycloak.userprofile.UserProfileProvider"]?.[0];
  const profile = JSON.parse(profileComponent.config["kc.user.profile.config"][0]);

  const clients = new Map();
  for (const client of rep.clients) clients.set(client.clientId, { ...client, id: randomUUID() });

  /** Realm roles a client may put into tokens (fullScopeAllowed false: only its scope mappings). */
  const realmScope = new Map();
  for (const mapping of rep.scopeMappings ?? []) realmScope.set(mapping.client, new Set(mapping.roles));
  /** Client roles a client may put into tokens: target client id -> (client id -> roles). */
  const clientScope = new Map();
  for (const [target, mappings] of Object.entries(rep.clientScopeMappings ?? {})) {
    for (const mapping of mappings) {
      const forClient = clientScope.get(mapping.client) ?? new Map();
      forClient.set(target, new Set(mapping.roles));
      clientScope.set(mapping.client, forClient);
    }
  }

  const realm = {
    name,
    rep,
    defaultRole,
    realmRoles,
    clients,
    realmScope,
    clientScope,
    profile,
    users: new Map(),
    /** Brute-force detection state per user id: { failures, lockedUntil }. */
    loginFailures: new Map(),
  };
  for (const user of rep.users ?? []) {
    addUser(realm, {
      username: user.username,
      enabled: user.enabled,
      serviceAccountClientId: user.serviceAccountClientId,
      realmRoles: user.realmRoles ?? [],
      clientRoles: user.clientRoles ?? {},
    });
  }
  return realm;
}

/** A user as Keycloak stores one; every user gets the realm's default role, as on creation. */
export function addUser(realm, spec) {
  if (typeof spec.username !== "string" || spec.username.length === 0) throw new Error("stand-in: a user needs a username");
  for (const existing of realm.users.values()) {
    if (existing.username === spec.username.toLowerCase()) throw new Error(`stand-in: user ${spec.username} exists`);
  }
  for (const role of spec.realmRoles ?? []) {
    if (!realm.realmRoles.has(role)) throw new Error(`stand-in: no realm role ${role} in the realm`);
  }
  const user = {
    id: spec.id ?? randomUUID(),
    // Keycloak stores usernames in lower case.
    username: spec.username.toLowerCase(),
    password: spec.password,
    enabled: spec.enabled ?? true,
    email: spec.email,
    firstName: spec.firstName,
    lastName: spec.lastName,
    emailVerified: spec.emailVerified ?? false,
    createdTimestamp: Date.now(),
    serviceAccountClientId: spec.serviceAccountClientId,
    realmRoles: new Set([realm.defaultRole, ...(spec.realmRoles ?? [])]),
    clientRoles: new Map(Object.entries(spec.clientRoles ?? {}).map(([client, roles]) => [client, new Set(roles)])),
    attributes: structuredClone(spec.attributes ?? {}),
  };
  realm.users.set(user.id, user);
  return user;
}

export function findUserByUsername(realm, username) {
  const wanted = username.toLowerCase();
  for (const user of realm.users.values()) if (user.username === wanted) return user;
  return undefined;
}

/** Effective realm roles: direct mappings with composites expanded (what `/role-mappings/realm/composite` lists). */
export function effectiveRealmRoles(realm, user) {
  const out = new Set();
  const visit = (name) => {
    if (out.has(name)) return;
    const role = realm.realmRoles.get(name);
    if (role === undefined) return;
    out.add(name);
    for (const child of role.composites) visit(child);
  };
  for (const name of user.realmRoles) visit(name);
  return out;
}

/** Effective roles of one client (e.g. realm-management), composites expanded. */
export function effectiveClientRoles(user, clientId) {
  const out = new Set();
  const direct = user.clientRoles.get(clientId) ?? new Set();
  const composites = clientId === "realm-management" ? REALM_MANAGEMENT_ROLES : {};
  const visit = (name) => {
    if (out.has(name)) return;
    out.add(name);
    for (const child of composites[name] ?? []) visit(child);
  };
  for (const name of direct) visit(name);
  return out;
}

export function realmRoleRepresentation(realm, name) {
  const role = realm.realmRoles.get(name);
  return {
    id: role.id,
    name,
    description: name === realm.defaultRole ? `\${role_default-roles}` : undefined,
    composite: role.composites.length > 0,
    clientRole: false,
    containerId: realm.name,
  };
}

/** Keycloak's UserRepresentation (admin view): built-in fields plus the attributes an admin may view. */
export function userRepresentation(realm, user) {
  const rep = {
    id: user.id,
    username: user.username,
    emailVerified: user.emailVerified,
    createdTimestamp: user.createdTimestamp,
    enabled: user.enabled,
    totp: false,
    disableableCredentialTypes: [],
    requiredActions: [],
    notBefore: 0,
    access: { manage: true },
  };
  if (user.firstName !== undefined) rep.firstName = user.firstName;
  if (user.lastName !== undefined) rep.lastName = user.lastName;
  if (user.email !== undefined) rep.email = user.email;
  // Keycloak names the client by its internal id here, not by its clientId.
  if (user.serviceAccountClientId !== undefined) rep.serviceAccountClientId = realm.clients.get(user.serviceAccountClientId).id;
  const attributes = {};
  for (const [name, values] of Object.entries(user.attributes)) {
    const meta = profileAttribute(realm, name);
    if (meta?.permissions?.view?.includes("admin") || meta?.permissions?.edit?.includes("admin")) attributes[name] = [...values];
  }
  if (Object.keys(attributes).length > 0) rep.attributes = attributes;
  return rep;
}

export function profileAttribute(realm, name) {
  return realm.profile.attributes.find((attribute) => attribute.name === name);
}
