import { createPublicKey, randomUUID, verify as verifySignature } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeycloakStandIn, startKeycloakStandIn } from "../../oauth/stand-in/index.js";
import {
  APPROVER_ROLE,
  EXTENSION_CLIENT_ID,
  EXTENSION_REDIRECT_URIS,
  KEYS_ATTRIBUTE,
  SERVER_CLIENT_ID,
  VERIFIER_CLIENT_ID,
} from "../src/keys/lib/keycloak-realm.js";
import { makeApprover } from "../src/testing/index.js";
import { entryFor } from "./helpers/keycloak-directory-suite.js";
import { decodeJwt, OidcBrowser, pkcePair } from "./helpers/oidc-login.js";

/*
 * The Keycloak stand-in itself: the OIDC half (oidc-provider at Keycloak's paths) behaves as
 * Keycloak does for the flows hitl uses, and the Admin REST subset enforces Keycloak's rights and
 * the realm's user profile. If the stand-in were lenient, every test built on it would be too.
 */

const CHROMIUM_REDIRECT = EXTENSION_REDIRECT_URIS[0].replace(/\*$/, "");
const FIREFOX_REDIRECT = EXTENSION_REDIRECT_URIS[1].replace(/\*$/, "");

let kc: KeycloakStandIn;
let alice: { id: string; username: string };
const ALICE_PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  kc = await startKeycloakStandIn({
    users: [
      {
        username: "alice",
        password: ALICE_PASSWORD,
        realmRoles: [APPROVER_ROLE],
        email: "alice@example.test",
        firstName: "Alice",
        lastName: "Example",
      },
      { username: "mallory", password: "mallory-password", realmRoles: [] },
      { username: "dora", password: "dora-password", realmRoles: [APPROVER_ROLE], enabled: false },
      { username: "bruno", password: "bruno-password", realmRoles: [APPROVER_ROLE] },
    ],
  });
  alice = kc.adminHelpers.userByUsername("alice")!;
});
afterAll(async () => {
  await kc?.stop();
});

const endpoint = (name: string) => `${kc.issuer}/protocol/openid-connect/${name}`;

function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL(endpoint("auth"));
  const defaults = {
    client_id: EXTENSION_CLIENT_ID,
    response_type: "code",
    redirect_uri: CHROMIUM_REDIRECT,
    scope: "openid",
    state: randomUUID(),
  };
  for (const [name, value] of Object.entries({ ...defaults, ...params })) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}

async function token(form: Record<string, string>, basic?: [string, string]): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic !== undefined) headers.authorization = `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString("base64")}`;
  const response = await fetch(endpoint("token"), { method: "POST", headers, body: new URLSearchParams(form).toString() });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Logs in through the form and exchanges the code; returns the token response. */
async function loginAndExchange(browser: OidcBrowser, username: string, password: string, extra: Record<string, string> = {}) {
  const pkce = pkcePair();
  const first = await browser.follow(
    authorizeUrl({ code_challenge: pkce.challenge, code_challenge_method: "S256", ...extra }),
    CHROMIUM_REDIRECT,
  );
  const done = first.page !== undefined ? await browser.login(first.page, kc.url, username, password, CHROMIUM_REDIRECT) : first;
  const code = done.redirect?.searchParams.get("code");
  if (code === null || code === undefined) throw new Error(`no code: ${done.page?.slice(0, 400)}`);
  const exchanged = await token({
    grant_type: "authorization_code",
    code,
    redirect_uri: CHROMIUM_REDIRECT,
    client_id: EXTENSION_CLIENT_ID,
    code_verifier: pkce.verifier,
  });
  return { ...exchanged, sawLoginPage: first.page !== undefined };
}

async function serviceAccountToken(): Promise<string> {
  const { status, body } = await token({ grant_type: "client_credentials" }, [SERVER_CLIENT_ID, kc.serverClientSecret]);
  expect(status).toBe(200);
  return body.access_token as string;
}

async function admin(method: string, path: string, bearer: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {};
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`${kc.url}/admin/realms/hitl${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) };
}

describe("stand-in OIDC: discovery and keys at Keycloak's paths", () => {
  it("serves the discovery document at /realms/hitl/.well-known/openid-configuration", async () => {
    const response = await fetch(`${kc.url}/realms/hitl/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const discovery = (await response.json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({
      issuer: `${kc.url}/realms/hitl`,
      authorization_endpoint: endpoint("auth"),
      token_endpoint: endpoint("token"),
      jwks_uri: endpoint("certs"),
      userinfo_endpoint: endpoint("userinfo"),
      end_session_endpoint: endpoint("logout"),
      code_challenge_methods_supported: ["S256"],
    });
    expect(discovery.grant_types_supported).toEqual(expect.arrayContaining(["authorization_code", "refresh_token", "client_credentials"]));
    expect(discovery.grant_types_supported).not.toContain("password");
    expect(discovery.response_types_supported).toContain("code");
    expect(discovery.response_types_supported).not.toContain("token");
  });

  it("access tokens are RS256 JWTs that verify with a key from the JWKS", async () => {
    const accessToken = await serviceAccountToken();
    const { header } = decodeJwt(accessToken);
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    const jwks = (await (await fetch(endpoint("certs"))).json()) as { keys: Array<Record<string, unknown>> };
    const jwk = jwks.keys.find((key) => key.kid === header.kid);
    expect(jwk).toMatchObject({ kty: "RSA", use: "sig" });
    expect(jwk).not.toHaveProperty("d");
    const [h, p, s] = accessToken.split(".");
    const key = createPublicKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
    expect(verifySignature("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(s!, "base64url"))).toBe(true);
    expect(verifySignature("RSA-SHA256", Buffer.from(`${h}.${p}x`), key, Buffer.from(s!, "base64url"))).toBe(false);
  });
});

describe("stand-in OIDC: the extension's Authorization Code + PKCE login", () => {
  it("logs in through the form and issues Keycloak-shaped tokens (sub uuid, azp, preferred_username, realm_access, aud hitl-server, auth_time)", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { status, body, sawLoginPage } = await loginAndExchange(new OidcBrowser(), "alice", ALICE_PASSWORD);
    expect(sawLoginPage).toBe(true);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 300 });
    expect(typeof body.refresh_token).toBe("string");
    const { payload } = decodeJwt(body.access_token as string);
    expect(payload).toMatchObject({
      iss: kc.issuer,
      typ: "Bearer",
      sub: alice.id,
      azp: EXTENSION_CLIENT_ID,
      aud: SERVER_CLIENT_ID,
      preferred_username: "alice",
      // fullScopeAllowed false: only the role mapped into the client's scope, not default-roles-hitl
      realm_access: { roles: [APPROVER_ROLE] },
    });
    expect(payload.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(payload.auth_time).toBeGreaterThanOrEqual(before);
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    expect(decodeJwt(body.id_token as string).payload).toMatchObject({
      sub: alice.id,
      aud: EXTENSION_CLIENT_ID,
      auth_time: payload.auth_time,
    });
  });

  it("the Firefox redirect URI is registered too", async () => {
    const pkce = pkcePair();
    const browser = new OidcBrowser();
    const first = await browser.follow(
      authorizeUrl({ redirect_uri: FIREFOX_REDIRECT, code_challenge: pkce.challenge, code_challenge_method: "S256" }),
      FIREFOX_REDIRECT,
    );
    const done = await browser.login(first.page!, kc.url, "alice", ALICE_PASSWORD, FIREFOX_REDIRECT);
    expect(done.redirect?.searchParams.get("code")).toEqual(expect.any(String));
  });

  it("refuses an authorization request without PKCE, or with the plain method", async () => {
    for (const params of [{}, { code_challenge: pkcePair().verifier, code_challenge_method: "plain" }]) {
      const result = await new OidcBrowser().follow(authorizeUrl(params), CHROMIUM_REDIRECT);
      expect(result.redirect?.searchParams.get("error")).toBe("invalid_request");
    }
  });

  it("refuses a redirect URI that is not registered, without redirecting there", async () => {
    const result = await new OidcBrowser().follow(
      authorizeUrl({ redirect_uri: "https://evil.example/", code_challenge: pkcePair().challenge, code_challenge_method: "S256" }),
      "https://evil.example/",
    );
    expect(result.redirect).toBeUndefined();
    expect(result.status).toBe(400);
    expect(result.page).toContain("redirect_uri did not match any of the client&#39;s registered redirect_uris");
  });

  it("refuses the implicit flow and direct-access (password) grants", async () => {
    const implicit = await new OidcBrowser().follow(authorizeUrl({ response_type: "token" }), CHROMIUM_REDIRECT);
    const answer = new URLSearchParams(implicit.redirect?.hash.slice(1) || implicit.redirect?.search);
    expect(answer.get("error")).toBe("unsupported_response_type");
    expect(answer.has("access_token")).toBe(false);
    const password = await token({ grant_type: "password", username: "alice", password: ALICE_PASSWORD, client_id: EXTENSION_CLIENT_ID });
    expect(password.status).toBe(400);
    expect(password.body.error).toMatch(/unsupported_grant_type|unauthorized_client/);
  });

  it("refuses a code exchanged with the wrong verifier, and a code used twice", async () => {
    // (Keycloak also burns a code on a failed PKCE check; oidc-provider keeps it: see oauth/README.md.)
    const browser = new OidcBrowser();
    const pkce = pkcePair();
    const first = await browser.follow(authorizeUrl({ code_challenge: pkce.challenge, code_challenge_method: "S256" }), CHROMIUM_REDIRECT);
    const done = await browser.login(first.page!, kc.url, "alice", ALICE_PASSWORD, CHROMIUM_REDIRECT);
    const code = done.redirect!.searchParams.get("code")!;
    const form = { grant_type: "authorization_code", code, redirect_uri: CHROMIUM_REDIRECT, client_id: EXTENSION_CLIENT_ID };
    const wrong = await token({ ...form, code_verifier: pkcePair().verifier });
    expect(wrong).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    const noVerifier = await token(form);
    expect(noVerifier.status).toBe(400);
    expect(noVerifier.body).not.toHaveProperty("access_token");
    const right = await token({ ...form, code_verifier: pkce.verifier });
    expect(right.status).toBe(200);
    const again = await token({ ...form, code_verifier: pkce.verifier });
    expect(again).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("max_age: a session older than max_age must log in again, and the new tokens carry the new auth_time", async () => {
    const browser = new OidcBrowser();
    const first = await loginAndExchange(browser, "alice", ALICE_PASSWORD);
    const firstAuthTime = decodeJwt(first.body.access_token as string).payload.auth_time as number;

    // Within the session and without max_age: single sign-on, no form, the old auth_time.
    const sso = await loginAndExchange(browser, "alice", ALICE_PASSWORD);
    expect(sso.sawLoginPage).toBe(false);
    expect(decodeJwt(sso.body.access_token as string).payload.auth_time).toBe(firstAuthTime);

    await new Promise((resolve) => setTimeout(resolve, 2100));
    const fresh = await loginAndExchange(browser, "alice", ALICE_PASSWORD, { max_age: "1" });
    expect(fresh.sawLoginPage).toBe(true);
    const freshAuthTime = decodeJwt(fresh.body.access_token as string).payload.auth_time as number;
    expect(freshAuthTime).toBeGreaterThan(firstAuthTime);
    expect(decodeJwt(fresh.body.id_token as string).payload.auth_time).toBe(freshAuthTime);
  });

  it("refresh: new tokens keep the ORIGINAL auth_time; a used refresh token is refused (rotation, revokeRefreshToken)", async () => {
    const { body } = await loginAndExchange(new OidcBrowser(), "alice", ALICE_PASSWORD);
    const authTime = decodeJwt(body.access_token as string).payload.auth_time;
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const refreshed = await token({
      grant_type: "refresh_token",
      refresh_token: body.refresh_token as string,
      client_id: EXTENSION_CLIENT_ID,
    });
    expect(refreshed.status).toBe(200);
    const payload = decodeJwt(refreshed.body.access_token as string).payload;
    expect(payload.auth_time).toBe(authTime);
    expect(payload.iat).toBeGreaterThan(authTime as number);
    const reused = await token({
      grant_type: "refresh_token",
      refresh_token: body.refresh_token as string,
      client_id: EXTENSION_CLIENT_ID,
    });
    expect(reused).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
  });

  it("the login page: a wrong password and a disabled account are refused with Keycloak's messages", async () => {
    const attempt = async (username: string, password: string) => {
      const pkce = pkcePair();
      const browser = new OidcBrowser();
      const first = await browser.follow(
        authorizeUrl({ code_challenge: pkce.challenge, code_challenge_method: "S256" }),
        CHROMIUM_REDIRECT,
      );
      return browser.login(first.page!, kc.url, username, password, CHROMIUM_REDIRECT);
    };
    expect((await attempt("alice", "wrong")).page).toContain('<span id="input-error">Invalid username or password.</span>');
    expect((await attempt("nobody", "x")).page).toContain('<span id="input-error">Invalid username or password.</span>');
    expect((await attempt("dora", "dora-password")).page).toContain(
      '<span id="input-error">Account is disabled, contact your administrator.</span>',
    );
  });

  it("brute-force detection: after failureFactor (5) wrong passwords even the right one is refused for a while", async () => {
    const attempt = async (password: string) => {
      const pkce = pkcePair();
      const browser = new OidcBrowser();
      const first = await browser.follow(
        authorizeUrl({ code_challenge: pkce.challenge, code_challenge_method: "S256" }),
        CHROMIUM_REDIRECT,
      );
      return browser.login(first.page!, kc.url, "bruno", password, CHROMIUM_REDIRECT);
    };
    for (let i = 0; i < 5; i++) expect((await attempt("guess")).redirect).toBeUndefined();
    const locked = await attempt("bruno-password");
    expect(locked.redirect).toBeUndefined();
    expect(locked.page).toContain("Invalid username or password.");
  });

  it("userinfo answers with the profile for a valid access token, 401 otherwise", async () => {
    const { body } = await loginAndExchange(new OidcBrowser(), "alice", ALICE_PASSWORD);
    const ok = await fetch(endpoint("userinfo"), { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      sub: alice.id,
      preferred_username: "alice",
      email: "alice@example.test",
      name: "Alice Example",
    });
    const bad = await fetch(endpoint("userinfo"), { headers: { authorization: `Bearer ${body.access_token}x` } });
    expect(bad.status).toBe(401);
  });
});

describe("stand-in OIDC: the server's client credentials", () => {
  it("issues a service-account token: sub = the service-account user, realm-management roles in scope", async () => {
    const { payload } = decodeJwt(await serviceAccountToken());
    expect(payload).toMatchObject({
      typ: "Bearer",
      azp: SERVER_CLIENT_ID,
      sub: kc.adminHelpers.serviceAccount().id,
      preferred_username: "service-account-hitl-server",
      resource_access: { "realm-management": { roles: ["view-users", "query-users", "query-groups", "manage-users"] } },
    });
    expect(payload.sub).not.toBe(SERVER_CLIENT_ID);
  });

  it("refuses a wrong secret (401) and the public client (no client_credentials grant)", async () => {
    expect((await token({ grant_type: "client_credentials" }, [SERVER_CLIENT_ID, "wrong"])).status).toBe(401);
    const publicClient = await token({ grant_type: "client_credentials", client_id: EXTENSION_CLIENT_ID });
    expect(publicClient.status).toBe(400);
    expect(publicClient.body).not.toHaveProperty("access_token");
  });
});

describe("stand-in Admin REST: rights and the user profile", () => {
  it("no or a bad bearer token: 401", async () => {
    expect(await admin("GET", `/users/${alice.id}`, undefined)).toEqual({ status: 401, body: { error: "HTTP 401 Unauthorized" } });
    expect(await admin("GET", `/users/${alice.id}`, "not-a-token")).toEqual({ status: 401, body: { error: "HTTP 401 Unauthorized" } });
  });

  it("a user's own token (the extension's) cannot read or write users, its own included: 403", async () => {
    const { body } = await loginAndExchange(new OidcBrowser(), "alice", ALICE_PASSWORD);
    const userToken = body.access_token as string;
    expect(await admin("GET", `/users/${alice.id}`, userToken)).toEqual({ status: 403, body: { error: "HTTP 403 Forbidden" } });
    const approver = makeApprover(alice.id);
    const write = await admin("PUT", `/users/${alice.id}`, userToken, { attributes: { [KEYS_ATTRIBUTE]: [entryFor(approver)] } });
    expect(write).toEqual({ status: 403, body: { error: "HTTP 403 Forbidden" } });
    expect(kc.adminHelpers.user(alice.id)?.attributes[KEYS_ATTRIBUTE]).toBeUndefined();
    // An unknown id is 403 too for a caller that may not query users (no id phishing).
    expect((await admin("GET", `/users/${randomUUID()}`, userToken)).status).toBe(403);
  });

  it("the service account reads a user (UserRepresentation) and its effective realm roles; an unknown id is 404", async () => {
    const sa = await serviceAccountToken();
    const user = await admin("GET", `/users/${alice.id}`, sa);
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({
      id: alice.id,
      username: "alice",
      enabled: true,
      email: "alice@example.test",
      firstName: "Alice",
      lastName: "Example",
    });
    const roles = await admin("GET", `/users/${alice.id}/role-mappings/realm/composite`, sa);
    expect(roles.body.map((role: { name: string }) => role.name).sort()).toEqual(
      ["default-roles-hitl", APPROVER_ROLE, "offline_access", "uma_authorization"].sort(),
    );
    const direct = await admin("GET", `/users/${alice.id}/role-mappings/realm`, sa);
    expect(direct.body.map((role: { name: string }) => role.name).sort()).toEqual(["default-roles-hitl", APPROVER_ROLE].sort());
    expect(await admin("GET", `/users/${randomUUID()}`, sa)).toEqual({ status: 404, body: { error: "User not found" } });
    const search = await admin("GET", "/users?username=alice&exact=true", sa);
    expect(search.body.map((found: { id: string }) => found.id)).toEqual([alice.id]);
  });

  it("the service account (manage-users) writes hitl_keys; values are validated by the realm's user profile; unmanaged attributes are dropped", async () => {
    const sa = await serviceAccountToken();
    const mallory = kc.adminHelpers.userByUsername("mallory")!;
    const approver = makeApprover(mallory.id);
    const good = entryFor(approver);
    expect(await admin("PUT", `/users/${mallory.id}`, sa, { attributes: { [KEYS_ATTRIBUTE]: [good], sneaky: ["x"] } })).toEqual({
      status: 204,
      body: undefined,
    });
    expect(kc.adminHelpers.user(mallory.id)?.attributes).toEqual({ [KEYS_ATTRIBUTE]: [good] });
    expect((await admin("GET", `/users/${mallory.id}`, sa)).body.attributes).toEqual({ [KEYS_ATTRIBUTE]: [good] });

    const malformed = await admin("PUT", `/users/${mallory.id}`, sa, { attributes: { [KEYS_ATTRIBUTE]: [`${good.slice(0, -1)}x`] } });
    expect(malformed).toMatchObject({ status: 400, body: { field: KEYS_ATTRIBUTE, errorMessage: "hitl-key-entry-invalid" } });
    const tooLong = await admin("PUT", `/users/${mallory.id}`, sa, { attributes: { [KEYS_ATTRIBUTE]: [`${good}.1800000000.1`] } });
    expect(tooLong).toMatchObject({ status: 400, body: { field: KEYS_ATTRIBUTE, errorMessage: "error-invalid-length" } });
    const tooMany = await admin("PUT", `/users/${mallory.id}`, sa, {
      attributes: { [KEYS_ATTRIBUTE]: Array.from({ length: 21 }, () => entryFor(makeApprover(mallory.id))) },
    });
    expect(tooMany).toMatchObject({ status: 400, body: { field: KEYS_ATTRIBUTE, errorMessage: "error-invalid-multivalued-size" } });
    // Refused writes change nothing.
    expect(kc.adminHelpers.user(mallory.id)?.attributes).toEqual({ [KEYS_ATTRIBUTE]: [good] });
  });

  it("hitl-verifier (view-users only) reads users and roles but cannot write keys or grant roles: 403", async () => {
    const { status, body } = await token({ grant_type: "client_credentials" }, [VERIFIER_CLIENT_ID, kc.verifierClientSecret]);
    expect(status).toBe(200);
    const readOnly = body.access_token as string;
    expect(decodeJwt(readOnly).payload).toMatchObject({
      azp: VERIFIER_CLIENT_ID,
      resource_access: { "realm-management": { roles: ["view-users", "query-users", "query-groups"] } },
    });
    expect((await admin("GET", `/users/${alice.id}`, readOnly)).status).toBe(200);
    expect((await admin("GET", `/users/${alice.id}/role-mappings/realm/composite`, readOnly)).status).toBe(200);
    const write = await admin("PUT", `/users/${alice.id}`, readOnly, {
      attributes: { [KEYS_ATTRIBUTE]: [entryFor(makeApprover(alice.id))] },
    });
    expect(write).toEqual({ status: 403, body: { error: "HTTP 403 Forbidden" } });
    const mallory = kc.adminHelpers.userByUsername("mallory")!;
    const grant = await admin("POST", `/users/${mallory.id}/role-mappings/realm`, readOnly, [{ name: APPROVER_ROLE }]);
    expect(grant.status).toBe(403);
    expect(kc.adminHelpers.user(mallory.id)?.realmRoles).not.toContain(APPROVER_ROLE);
  });

  it("hitl-server (manage-users) CAN grant hitl-approver: why its secret is a root of trust (oauth/README.md)", async () => {
    const stand = await startKeycloakStandIn({ users: [{ username: "erin" }] });
    try {
      const response = await fetch(`${stand.issuer}/protocol/openid-connect/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${SERVER_CLIENT_ID}:${stand.serverClientSecret}`).toString("base64")}`,
        },
        body: "grant_type=client_credentials",
      });
      const { access_token: serverToken } = (await response.json()) as { access_token: string };
      const erin = stand.adminHelpers.userByUsername("erin")!;
      const grant = await fetch(`${stand.url}/admin/realms/hitl/users/${erin.id}/role-mappings/realm`, {
        method: "POST",
        headers: { authorization: `Bearer ${serverToken}`, "content-type": "application/json" },
        body: JSON.stringify([{ name: APPROVER_ROLE }]),
      });
      expect(grant.status).toBe(204);
      expect(stand.adminHelpers.user(erin.id)?.realmRoles).toContain(APPROVER_ROLE);
    } finally {
      await stand.stop();
    }
  });

  it("a service account without manage-users may read but not write: 403", async () => {
    const stand = await startKeycloakStandIn({ users: [{ username: "carol" }] });
    try {
      stand.adminHelpers.setClientRoles(stand.adminHelpers.serviceAccount().id, "realm-management", ["view-users"]);
      const { body } = await fetch(`${stand.issuer}/protocol/openid-connect/token`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${SERVER_CLIENT_ID}:${stand.serverClientSecret}`).toString("base64")}`,
        },
        body: "grant_type=client_credentials",
      }).then(async (response) => ({ body: (await response.json()) as { access_token: string } }));
      const carol = stand.adminHelpers.userByUsername("carol")!;
      const headers = { authorization: `Bearer ${body.access_token}`, "content-type": "application/json" };
      expect((await fetch(`${stand.url}/admin/realms/hitl/users/${carol.id}`, { headers })).status).toBe(200);
      const put = await fetch(`${stand.url}/admin/realms/hitl/users/${carol.id}`, {
        method: "PUT",
        headers,
        body: JSON.stringify({ enabled: false }),
      });
      expect(put.status).toBe(403);
      expect(stand.adminHelpers.user(carol.id)?.enabled).toBe(true);
    } finally {
      await stand.stop();
    }
  });
});
