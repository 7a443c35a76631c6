import {
  effectiveClientRoles,
  effectiveRealmRoles,
  findUserByUsername,
  realmRoleRepresentation,
  userRepresentation,
} from "./realm-model.js";

/**
 * The subset of Keycloak's Admin REST API (/admin/realms/{realm}/...) that hitl calls, with
 * Keycloak 26's statuses and bodies:
 *   GET    /users/{id}                         view-users | manage-users; unknown id: 404 for a caller
 *                                               that may query users, 403 otherwise (no id phishing)
 *   GET    /users?username=&exact=&search=&first=&max=   query-users | view-users | manage-users
 *   PUT    /users/{id}                         manage-users; user-profile validation → 400; attributes
 *                                               outside the profile are dropped (policy DISABLED) → 204
 *   GET    /users/{id}/role-mappings/realm[/composite]     view-users | manage-users
 *   POST   /users/{id}/role-mappings/realm     manage-users
 *   DELETE /users/{id}/role-mappings/realm     manage-users
 * Missing or invalid bearer token: 401 {"error":"HTTP 401 Unauthorized"}; too few rights: 403
 * {"error":"HTTP 403 Forbidden"}. Rights are the caller's realm-management roles, which must be
 * both mapped to the user and in the token's scope (hitl's clients have fullScopeAllowed false).
 */
export function createAdminApi({ realm, verifyAccessToken, state }) {
  const prefix = `/admin/realms/${realm.name}`;

  return async function handleAdmin(req, res, url) {
    if (!url.pathname.startsWith(`${prefix}/`) && url.pathname !== prefix) return false;
    state.adminRequests += 1;
    if (state.adminDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.adminDelayMs));
    if (res.destroyed) return true;

    const caller = await authenticate(req);
    if (caller === undefined) return reply(res, 401, { error: "HTTP 401 Unauthorized" });
    const rights = caller.rights;
    const canQuery = rights.has("query-users") || rights.has("view-users") || rights.has("manage-users");
    const canView = rights.has("view-users") || rights.has("manage-users");
    const canManage = rights.has("manage-users");

    const rest = url.pathname.slice(prefix.length);
    let match = /^\/users\/([^/]+)$/.exec(rest);
    if (match !== null) {
      const user = realm.users.get(decodeURIComponent(match[1]));
      if (user === undefined)
        return reply(res, canQuery ? 404 : 403, canQuery ? { error: "User not found" } : { error: "HTTP 403 Forbidden" });
      if (req.method === "GET") {
        if (!canView) return forbidden(res);
        return reply(res, 200, userRepresentation(realm, user));
      }
      if (req.method === "PUT") {
        if (!canManage) return forbidden(res);
        const body = await readJson(req);
        if (body === undefined) return reply(res, 400, { error: "unknown_error" });
        const problems = updateUser(user, body);
        if (problems.length === 1) return reply(res, 400, problems[0]);
        if (problems.length > 1) return reply(res, 400, { errors: problems });
        return reply(res, 204);
      }
      return reply(res, 405, { error: "HTTP 405 Method Not Allowed" });
    }

    if (rest === "/users" && req.method === "GET") {
      if (!canQuery) return forbidden(res);
      return reply(res, 200, searchUsers(url.searchParams));
    }

    match = /^\/users\/([^/]+)\/role-mappings\/realm(\/composite)?$/.exec(rest);
    if (match !== null) {
      const user = realm.users.get(decodeURIComponent(match[1]));
      if (user === undefined)
        return reply(res, canQuery ? 404 : 403, canQuery ? { error: "User not found" } : { error: "HTTP 403 Forbidden" });
      const composite = match[2] !== undefined;
      if (req.method === "GET") {
        if (!canView) return forbidden(res);
        const names = composite ? effectiveRealmRoles(realm, user) : user.realmRoles;
        return reply(
          res,
          200,
          [...names].map((name) => realmRoleRepresentation(realm, name)),
        );
      }
      if (!composite && (req.method === "POST" || req.method === "DELETE")) {
        if (!canManage) return forbidden(res);
        const roles = await readJson(req);
        if (!Array.isArray(roles)) return reply(res, 400, { error: "unknown_error" });
        for (const role of roles) {
          if (!realm.realmRoles.has(role?.name)) return reply(res, 404, { error: "Role not found" });
        }
        for (const role of roles) {
          if (req.method === "POST") user.realmRoles.add(role.name);
          else user.realmRoles.delete(role.name);
        }
        return reply(res, 204);
      }
      return reply(res, 405, { error: "HTTP 405 Method Not Allowed" });
    }
    return reply(res, 404, { error: "HTTP 404 Not Found" });
  };

  async function authenticate(req) {
    const header = req.headers.authorization;
    if (typeof header !== "string" || !header.startsWith("Bearer ")) return undefined;
    let claims;
    try {
      claims = await verifyAccessToken(header.slice("Bearer ".length));
    } catch {
      return undefined;
    }
    const user = realm.users.get(claims.sub);
    if (user === undefined || !user.enabled) return undefined;
    const inToken = new Set(claims.resource_access?.["realm-management"]?.roles ?? []);
    const mapped = effectiveClientRoles(user, "realm-management");
    return { user, rights: new Set([...mapped].filter((role) => inToken.has(role))) };
  }

  function searchUsers(params) {
    const username = params.get("username");
    const exact = params.get("exact") === "true";
    const search = params.get("search");
    const first = Number(params.get("first") ?? 0);
    const max = Number(params.get("max") ?? 100);
    let users = [...realm.users.values()].filter((user) => user.serviceAccountClientId === undefined);
    if (username !== null) {
      users = exact
        ? [findUserByUsername(realm, username)].filter(Boolean)
        : users.filter((user) => user.username.includes(username.toLowerCase()));
    }
    if (search !== null) {
      const needle = search.toLowerCase().replaceAll("*", "");
      users = users.filter((user) =>
        [user.username, user.email, user.firstName, user.lastName].some((field) => field?.toLowerCase().includes(needle)),
      );
    }
    return users.slice(first, first + max).map((user) => userRepresentation(realm, user));
  }

  /** Keycloak 26 admin update under the declarative user profile; returns the validation errors. */
  function updateUser(user, body) {
    const problems = [];
    const next = {};
    if (body.attributes !== undefined && body.attributes !== null) {
      for (const attribute of realm.profile.attributes) {
        if (["username", "email", "firstName", "lastName"].includes(attribute.name)) continue;
        if (!attribute.permissions?.edit?.includes("admin")) continue;
        const raw = body.attributes[attribute.name];
        const values = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw.map(String) : [String(raw)];
        problems.push(...validate(attribute, values));
        next[attribute.name] = values;
      }
      // Attributes outside the profile: unmanagedAttributePolicy absent (DISABLED) → silently dropped.
    }
    if (problems.length > 0) return problems;
    for (const [name, values] of Object.entries(next)) {
      if (values.length === 0) delete user.attributes[name];
      else user.attributes[name] = values;
    }
    if (typeof body.enabled === "boolean") user.enabled = body.enabled;
    for (const field of ["email", "firstName", "lastName"]) {
      if (typeof body[field] === "string") user[field] = body[field];
    }
    return [];
  }

  function validate(attribute, values) {
    const problems = [];
    const rules = attribute.validations ?? {};
    if (values.length > 1 && attribute.multivalued !== true) {
      problems.push({ field: attribute.name, errorMessage: "error-invalid-multivalued-size", params: [attribute.name, 1, 1] });
    }
    const multi = rules.multivalued;
    if (multi !== undefined && values.length > Number(multi.max ?? Number.POSITIVE_INFINITY)) {
      problems.push({
        field: attribute.name,
        errorMessage: "error-invalid-multivalued-size",
        params: [attribute.name, Number(multi.min ?? 0), Number(multi.max)],
      });
    }
    for (const value of values) {
      const length = rules.length;
      if (
        length !== undefined &&
        (value.length < Number(length.min ?? 0) || value.length > Number(length.max ?? Number.POSITIVE_INFINITY))
      ) {
        problems.push({ field: attribute.name, errorMessage: "error-invalid-length", params: [attribute.name, length.min, length.max] });
        continue;
      }
      const pattern = rules.pattern;
      if (pattern !== undefined && !new RegExp(pattern.pattern).test(value)) {
        problems.push({
          field: attribute.name,
          errorMessage: pattern["error-message"] ?? "error-pattern-no-match",
          params: [attribute.name, pattern.pattern],
        });
      }
    }
    return problems;
  }
}

function forbidden(res) {
  return reply(res, 403, { error: "HTTP 403 Forbidden" });
}

function reply(res, status, body) {
  send(res, status, body);
  return true;
}

export function send(res, status, body) {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 1_000_000) return undefined;
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}
