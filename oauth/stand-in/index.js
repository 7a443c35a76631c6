import { randomBytes, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { exportJWK, generateKeyPair, jwtVerify } from "jose";
import Provider, { errors } from "oidc-provider";
import { createAdminApi, send } from "./admin-api.js";
import { memoryAdapterFactory } from "./memory-adapter.js";
import { addUser, effectiveClientRoles, effectiveRealmRoles, findUserByUsername, loadRealm } from "./realm-model.js";

/**
 * A STAND-IN for Keycloak 26, for tests only: no real Keycloak can run on hitl's development and
 * CI machines. It follows Keycloak's documented behaviour for what hitl uses, at Keycloak's paths:
 * the OIDC half is `oidc-provider` (a certified OpenID Provider) under /realms/<realm>/..., the
 * Admin REST subset is in admin-api.js under /admin/realms/<realm>/..., and its clients, roles,
 * scope mappings, service account and user profile are read FROM oauth/realm-hitl.json.
 * verifier/test/keycloak-contract.test.ts runs the same tests against a real Keycloak.
 */

const OIDC = "/protocol/openid-connect";

export async function startKeycloakStandIn(options = {}) {
  const {
    port = 0,
    users = [],
    serverClientSecret = randomBytes(24).toString("base64url"),
    verifierClientSecret = randomBytes(24).toString("base64url"),
  } = options;
  const realm = loadRealm({ HITL_SERVER_CLIENT_SECRET: serverClientSecret, HITL_VERIFIER_CLIENT_SECRET: verifierClientSecret });
  for (const spec of users) addUser(realm, spec);
  const state = { adminRequests: 0, tokenRequests: 0, adminDelayMs: 0, tokenDelayMs: 0 };

  const server = createServer();
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${server.address().port}`;
  const issuer = `${url}/realms/${realm.name}`;

  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const signingJwk = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString("base64url"), alg: "RS256", use: "sig" };

  const provider = new Provider(issuer, providerConfiguration(realm, signingJwk));
  provider.proxy = false;

  async function verifyAccessToken(token) {
    const { payload } = await jwtVerify(token, publicKey, { issuer, algorithms: ["RS256"] });
    // Keycloak marks access tokens with the claim typ "Bearer" (ID tokens: "ID", refresh: "Refresh").
    if (payload.typ !== "Bearer") throw new Error("not an access token");
    return payload;
  }

  const handleAdmin = createAdminApi({ realm, verifyAccessToken, state });
  const oidcCallback = provider.callback();
  const realmPrefix = `/realms/${realm.name}`;

  server.on("request", (req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, { error: "unknown_error", error_description: String(error?.message ?? error) });
      else res.destroy();
    });
  });

  async function handle(req, res) {
    const requestUrl = new URL(req.url, url);
    if (await handleAdmin(req, res, requestUrl)) return;
    if (!requestUrl.pathname.startsWith(`${realmPrefix}/`)) return send(res, 404, { error: "HTTP 404 Not Found" });
    const inRealm = requestUrl.pathname.slice(realmPrefix.length);
    if (inRealm === "/login-actions/authenticate") return loginPage(req, res, requestUrl);
    if (inRealm === `${OIDC}/userinfo`) return userinfo(req, res);
    if (inRealm === `${OIDC}/token`) {
      state.tokenRequests += 1;
      if (state.tokenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.tokenDelayMs));
    }
    // Mounted under the issuer's path: oidc-provider reads the mount path from originalUrl.
    req.originalUrl = req.url;
    req.url = req.url.slice(realmPrefix.length) || "/";
    oidcCallback(req, res);
  }

  /** Keycloak's userinfo accepts the (JWT) access token and returns the user's profile claims. */
  async function userinfo(req, res) {
    const header = req.headers.authorization;
    let claims;
    try {
      if (typeof header !== "string" || !header.startsWith("Bearer ")) throw new Error("no token");
      claims = await verifyAccessToken(header.slice(7));
    } catch {
      res.setHeader("www-authenticate", 'Bearer realm="hitl", error="invalid_token", error_description="Token verification failed"');
      return send(res, 401, { error: "invalid_token", error_description: "Token verification failed" });
    }
    const user = realm.users.get(claims.sub);
    if (user === undefined || !user.enabled)
      return send(res, 401, { error: "invalid_token", error_description: "User not found or disabled" });
    return send(res, 200, profileClaims(user));
  }

  /** A plain username/password form, like Keycloak's login page (ids username, password, kc-login). */
  async function loginPage(req, res, requestUrl) {
    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch {
      return html(res, 400, page("Your login attempt timed out. Login will start from the beginning.", ""));
    }
    if (req.method === "GET") return html(res, 200, loginForm(realm.name, details.uid, ""));
    if (req.method !== "POST") return send(res, 405, { error: "HTTP 405 Method Not Allowed" });
    const form = new URLSearchParams(await readBody(req));
    const user = findUserByUsername(realm, form.get("username") ?? "");
    const verdict = checkLogin(user, form.get("password") ?? "");
    if (verdict !== "ok") return html(res, 200, loginForm(realm.name, details.uid, verdict));
    await provider.interactionFinished(req, res, { login: { accountId: user.id, amr: ["pwd"] } }, { mergeWithLastSubmission: false });
    void requestUrl;
  }

  /** Keycloak's messages; brute-force detection as configured in the realm (temporary lockout). */
  function checkLogin(user, password) {
    const invalid = "Invalid username or password.";
    if (user === undefined || user.serviceAccountClientId !== undefined || user.password === undefined) return invalid;
    const rep = realm.rep;
    const failures = realm.loginFailures.get(user.id) ?? { count: 0, lockedUntil: 0 };
    if (rep.bruteForceProtected && failures.lockedUntil > Date.now()) return invalid;
    const given = Buffer.from(password);
    const expected = Buffer.from(user.password);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      failures.count += 1;
      if (rep.bruteForceProtected && failures.count >= rep.failureFactor) {
        failures.lockedUntil = Date.now() + rep.waitIncrementSeconds * 1000;
        failures.count = 0;
      }
      realm.loginFailures.set(user.id, failures);
      return invalid;
    }
    if (!user.enabled) return "Account is disabled, contact your administrator.";
    realm.loginFailures.delete(user.id);
    return "ok";
  }

  const sockets = new Set();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  return {
    url,
    issuer,
    realm: realm.name,
    serverClientSecret,
    verifierClientSecret,
    adminHelpers: {
      addUser: (spec) => publicUser(addUser(realm, spec)),
      user: (id) => publicUser(realm.users.get(id)),
      userByUsername: (username) => publicUser(findUserByUsername(realm, username)),
      setEnabled(id, enabled) {
        mustUser(id).enabled = enabled;
      },
      grantRealmRole(id, role) {
        if (!realm.realmRoles.has(role)) throw new Error(`stand-in: no realm role ${role}`);
        mustUser(id).realmRoles.add(role);
      },
      revokeRealmRole(id, role) {
        mustUser(id).realmRoles.delete(role);
      },
      setAttribute(id, name, values) {
        const user = mustUser(id);
        if (values.length === 0) delete user.attributes[name];
        else user.attributes[name] = [...values];
      },
      setClientRoles(id, clientId, roles) {
        mustUser(id).clientRoles.set(clientId, new Set(roles));
      },
      /** Every token endpoint request received so far. */
      tokenRequestCount: () => state.tokenRequests,
      /** Every Admin REST request received so far (to check caching). */
      adminRequestCount: () => state.adminRequests,
      /** Delay every Admin REST answer (a slow Keycloak). */
      setAdminDelay(ms) {
        state.adminDelayMs = ms;
      },
      /** Delay every token endpoint answer. */
      setTokenDelay(ms) {
        state.tokenDelayMs = ms;
      },
      serviceAccount: (clientId = "hitl-server") =>
        publicUser([...realm.users.values()].find((user) => user.serviceAccountClientId === clientId)),
    },
    async stop() {
      const closed = once(server, "close");
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };

  function mustUser(id) {
    const user = realm.users.get(id);
    if (user === undefined) throw new Error(`stand-in: no user ${id}`);
    return user;
  }
}

function publicUser(user) {
  if (user === undefined) return undefined;
  return {
    id: user.id,
    username: user.username,
    enabled: user.enabled,
    realmRoles: [...user.realmRoles],
    attributes: structuredClone(user.attributes),
  };
}

function profileClaims(user) {
  const claims = { sub: user.id, preferred_username: user.username, email_verified: user.emailVerified };
  const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
  if (name !== "") claims.name = name;
  if (user.firstName !== undefined) claims.given_name = user.firstName;
  if (user.lastName !== undefined) claims.family_name = user.lastName;
  if (user.email !== undefined) claims.email = user.email;
  return claims;
}

/**
 * oidc-provider configured as the realm's clients and token settings say: Authorization Code +
 * PKCE S256 only for the public client, client_credentials for the confidential one, Keycloak's
 * endpoint paths, JWT access tokens with Keycloak's claims (typ Bearer, azp, sid, auth_time,
 * realm_access, resource_access, preferred_username), refresh tokens rotated with reuse refused
 * (revokeRefreshToken), lifetimes from the realm.
 */
function providerConfiguration(realm, signingJwk) {
  const rep = realm.rep;
  const clients = [...realm.clients.values()].map((client) => {
    const grantTypes = [];
    if (client.standardFlowEnabled) grantTypes.push("authorization_code", "refresh_token");
    if (client.serviceAccountsEnabled) grantTypes.push("client_credentials");
    return {
      client_id: client.clientId,
      ...(client.publicClient
        ? { token_endpoint_auth_method: "none" }
        : { client_secret: client.secret, token_endpoint_auth_method: "client_secret_basic" }),
      grant_types: grantTypes,
      response_types: client.standardFlowEnabled ? ["code"] : [],
      redirect_uris: client.standardFlowEnabled ? client.redirectUris.map((uri) => uri.replace(/\*$/, "")) : [],
      post_logout_redirect_uris: [],
      // Keycloak puts auth_time into every ID token, asked for or not.
      require_auth_time: true,
    };
  });
  const audienceOf = (clientId) => {
    const client = realm.clients.get(clientId);
    const audiences = new Set();
    for (const mapper of client?.protocolMappers ?? []) {
      if (mapper.protocolMapper === "oidc-audience-mapper" && mapper.config["access.token.claim"] === "true")
        audiences.add(mapper.config["included.client.audience"]);
    }
    for (const target of realm.clientScope.get(clientId)?.keys() ?? []) audiences.add(target);
    return [...audiences];
  };

  return {
    adapter: memoryAdapterFactory(),
    clients,
    // Keycloak accepts the client secret in the Authorization header (basic) or the body (post).
    clientAuthMethods: ["none", "client_secret_basic", "client_secret_post"],
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    pkce: { methods: ["S256"], required: () => true },
    // Keycloak (26.6.3 on) refuses a request whose Origin is not among the client's webOrigins.
    clientBasedCORS: (_ctx, origin, client) => (realm.clients.get(client.clientId)?.webOrigins ?? []).includes(origin),
    routes: {
      authorization: `${OIDC}/auth`,
      token: `${OIDC}/token`,
      jwks: `${OIDC}/certs`,
      userinfo: `${OIDC}/userinfo`,
      end_session: `${OIDC}/logout`,
      revocation: `${OIDC}/revoke`,
      introspection: `${OIDC}/token/introspect`,
    },
    responseTypes: ["code", "none"],
    scopes: ["openid", "offline_access", "profile", "email", "roles", "basic", "acr"],
    claims: {
      openid: ["sub"],
      profile: ["preferred_username", "name", "given_name", "family_name"],
      email: ["email", "email_verified"],
    },
    conformIdTokenClaims: false,
    formats: {
      customizers: {
        // Keycloak: the header typ is "JWT", and a service-account token's sub is the service-account user.
        jwt(_ctx, token, jwt) {
          jwt.header = { typ: "JWT" };
          if (token.extra?.sub !== undefined) jwt.payload.sub = token.extra.sub;
        },
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `urn:hitl:realm:${realm.name}`,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, _resource, client) => ({
          scope: "openid profile email roles basic acr",
          audience: audienceOf(client.clientId).length === 1 ? audienceOf(client.clientId)[0] : audienceOf(client.clientId),
          accessTokenTTL: rep.accessTokenLifespan,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    // Keycloak issues a refresh token with every code exchange (use.refresh.tokens), no offline_access needed.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: () => rep.revokeRefreshToken === true,
    ttl: {
      AccessToken: rep.accessTokenLifespan,
      ClientCredentials: rep.accessTokenLifespan,
      AuthorizationCode: rep.accessCodeLifespan,
      IdToken: rep.accessTokenLifespan,
      RefreshToken: rep.ssoSessionIdleTimeout,
      Interaction: rep.accessCodeLifespanLogin,
      Session: rep.ssoSessionMaxLifespan,
      Grant: rep.ssoSessionMaxLifespan,
    },
    interactions: {
      url: (_ctx, interaction) => `/realms/${realm.name}/login-actions/authenticate?uid=${interaction.uid}`,
    },
    // No consent screen (consentRequired false): every scope and the realm resource are granted.
    async loadExistingGrant(ctx) {
      const accountId = ctx.oidc.session?.accountId;
      if (accountId === undefined) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing !== undefined) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
      grant.addOIDCScope("openid profile email roles basic acr offline_access");
      grant.addResourceScope(`urn:hitl:realm:${realm.name}`, "openid profile email roles basic acr");
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, id) {
      const user = realm.users.get(id);
      if (user === undefined || !user.enabled) return undefined;
      return { accountId: id, claims: () => profileClaims(user) };
    },
    async extraTokenClaims(ctx, token) {
      if (token.kind !== "AccessToken" && token.kind !== "ClientCredentials") return undefined;
      const clientId = token.clientId;
      const user =
        token.kind === "ClientCredentials"
          ? [...realm.users.values()].find((candidate) => candidate.serviceAccountClientId === clientId)
          : realm.users.get(token.accountId);
      if (user === undefined || !user.enabled) throw new errors.InvalidGrant("user disabled or not found");
      const scopeRealm = realm.realmScope.get(clientId) ?? new Set();
      const claims = {
        typ: "Bearer",
        azp: clientId,
        sub: user.id,
        preferred_username: user.username,
        realm_access: { roles: [...effectiveRealmRoles(realm, user)].filter((role) => scopeRealm.has(role)) },
      };
      const resourceAccess = {};
      for (const [target, allowed] of realm.clientScope.get(clientId) ?? []) {
        // A composite role in scope brings its children into scope, as in Keycloak.
        const inScope = effectiveClientRoles({ clientRoles: new Map([[target, allowed]]) }, target);
        const roles = [...effectiveClientRoles(user, target)].filter((role) => inScope.has(role));
        if (roles.length > 0) resourceAccess[target] = { roles };
      }
      if (Object.keys(resourceAccess).length > 0) claims.resource_access = resourceAccess;
      const entities = ctx.oidc.entities;
      const authTime = entities.AuthorizationCode?.authTime ?? entities.RefreshToken?.authTime;
      if (authTime !== undefined) claims.auth_time = authTime;
      if (token.sessionUid !== undefined) claims.sid = token.sessionUid;
      if (user.email !== undefined) claims.email = user.email;
      return claims;
    },
    renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = page("We are sorry...", `<p id="kc-error-message">${escapeHtml(out.error_description ?? out.error)}</p>`);
    },
  };
}

function loginForm(realmName, uid, message) {
  const alert = message ? `<div class="alert-error"><span id="input-error">${escapeHtml(message)}</span></div>` : "";
  return page(
    "Sign in to your account",
    `${alert}<form id="kc-form-login" method="post" action="/realms/${encodeURIComponent(realmName)}/login-actions/authenticate?uid=${encodeURIComponent(uid)}">
  <label for="username">Username or email</label><input id="username" name="username" type="text" autocomplete="username" autofocus>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
  <input id="kc-login" name="login" type="submit" value="Sign In">
</form>`,
  );
}

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1 id="kc-page-title">${escapeHtml(title)}</h1>${body}</body></html>`;
}

function html(res, status, text) {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
