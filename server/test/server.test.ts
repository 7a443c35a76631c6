import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatKeyEntry, keycloakRealm, type Receipt } from "@hitl/verifier";
import { makeApprover, makeChallenge, signReceipt, type TestApprover } from "@hitl/verifier/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, readServerConfig, startServer } from "../src/index.js";
import { clientToken, loginToken, PUBLIC_URL, refreshToken, registration, startTeam, type Team } from "./helpers/team.js";
import { selfSignedCertificate } from "./helpers/tls.js";

/*
 * `hitl server` against the Keycloak stand-in (oauth/stand-in: oidc-provider for the OIDC half,
 * Keycloak's Admin REST subset) and a real redis-server with requirepass and a key prefix. Most
 * requests go through fastify's inject (the whole app: parsers, rate limiter on Redis, error
 * handler); "real HTTP" tests go over a socket.
 */

const PASSWORD = "pw-correct-horse";
let team: Team;
let server: RunningServer;
const ids: Record<string, string> = {};
/** Taken at start: the last tests stop Keycloak first. */
let earlyVerifierToken: string;

beforeAll(async () => {
  team = await startTeam([
    { username: "alice", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] },
    { username: "bob", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] },
    { username: "carol", password: PASSWORD, realmRoles: [] },
    { username: "dave", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] },
    { username: "erin", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] },
    { username: "fay", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] },
  ]);
  for (const name of ["alice", "bob", "carol", "dave", "erin", "fay"]) ids[name] = team.kc.adminHelpers.userByUsername(name)!.id;
  server = await startServer({ insecureHttp: true, host: "127.0.0.1", port: 0 }, team.env);
  earlyVerifierToken = await clientToken(team.kc, keycloakRealm.VERIFIER_CLIENT_ID, team.kc.verifierClientSecret);
});
afterAll(async () => {
  await server?.close();
  await team?.stop();
});

type Reply = { status: number; body: Record<string, unknown>; headers: Record<string, unknown> };
async function call(method: "GET" | "POST" | "DELETE", url: string, token?: string, body?: unknown, target = server): Promise<Reply> {
  const response = await target.app.inject({
    method,
    url,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { payload: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown>, headers: response.headers };
}

const login = (name: string) => loginToken(team.kc, name, PASSWORD);
const reg = (key: TestApprover, sub: string, overrides = {}, signer?: TestApprover) =>
  registration(key, { sub, iss: team.kc.issuer }, overrides, signer);
const verifierToken = () => clientToken(team.kc, keycloakRealm.VERIFIER_CLIENT_ID, team.kc.verifierClientSecret);
const serverToken = () => clientToken(team.kc, keycloakRealm.SERVER_CLIENT_ID, team.kc.serverClientSecret);
const attribute = (name: string) => team.kc.adminHelpers.user(ids[name]!)!.attributes[keycloakRealm.KEYS_ATTRIBUTE] ?? [];

function receiptFor(key: TestApprover, sub: string, decision: "approve" | "deny" = "approve"): Receipt {
  return signReceipt(makeChallenge({ aud: "payments" }), { ...key, sub }, { decision });
}

function expectError(reply: Reply, status: number, code: string, message: RegExp): void {
  expect({ status: reply.status, code: reply.body.code }).toEqual({ status, code });
  expect(reply.body.message).toMatch(message);
}

describe("start-up", () => {
  const env = {
    HITL_SERVER_URL: PUBLIC_URL,
    HITL_KEYCLOAK_URL: "https://id.example.test",
    HITL_SERVER_CLIENT_SECRET: "s",
    HITL_REDIS_URL: "rediss://:pw@redis.example.test:6380",
  };

  it("refuses plain HTTP without --insecure-http (ERR_INSECURE_TRANSPORT)", () => {
    expect(() => readServerConfig({}, env)).toThrow(
      expect.objectContaining({ code: "ERR_INSECURE_TRANSPORT", message: expect.stringMatching(/--tls-cert/) }),
    );
  });

  it("refuses --insecure-http on a non-loopback host (ERR_INSECURE_TRANSPORT)", () => {
    for (const host of ["0.0.0.0", "192.168.1.5", "::"]) {
      expect(() => readServerConfig({ insecureHttp: true, host }, env)).toThrow(
        expect.objectContaining({ code: "ERR_INSECURE_TRANSPORT", message: expect.stringMatching(/loopback host only/) }),
      );
    }
  });

  it("accepts TLS on any host, rediss:// with a password, and a bounded key lifetime", () => {
    const config = readServerConfig(
      { host: "0.0.0.0", tlsCert: "c.pem", tlsKey: "k.pem" },
      { ...env, HITL_KEY_LIFETIME_DAYS: "7", HITL_REDIS_PREFIX: "team-a:" },
    );
    expect(config.tls).toEqual({ cert: "c.pem", key: "k.pem" });
    expect(config.redis).toEqual({ url: "rediss://:pw@redis.example.test:6380", prefix: "team-a:" });
    expect(config.keyLifetimeSeconds).toBe(7 * 86_400);
    expect(readServerConfig({ insecureHttp: true }, env).keyLifetimeSeconds).toBe(30 * 86_400);
    expect(
      readServerConfig({ insecureHttp: true }, { ...env, HITL_REDIS_URL: "redis://127.0.0.1:1", HITL_REDIS_PASSWORD: "p@ss" }).redis.url,
    ).toBe("redis://:p%40ss@127.0.0.1:1");
  });

  it("names the missing or invalid setting (ERR_CONFIG)", () => {
    const cases: Array<[Record<string, string | undefined>, RegExp]> = [
      [{ HITL_SERVER_URL: undefined }, /HITL_SERVER_URL is not set/],
      [{ HITL_KEYCLOAK_URL: "http://id.example.test" }, /HITL_KEYCLOAK_URL must use https/],
      [{ HITL_SERVER_CLIENT_SECRET: "" }, /HITL_SERVER_CLIENT_SECRET is not set/],
      [{ HITL_REDIS_URL: "http://redis" }, /redis:\/\/ or rediss:\/\//],
      [{ HITL_REDIS_PASSWORD: "x" }, /not both/],
      [{ HITL_KEY_LIFETIME_DAYS: "366" }, /HITL_KEY_LIFETIME_DAYS must be a whole number from 1 to 365/],
      [{ HITL_KEY_LIFETIME_DAYS: "0" }, /from 1 to 365/],
    ];
    for (const [change, message] of cases) {
      expect(() => readServerConfig({ insecureHttp: true }, { ...env, ...change })).toThrow(
        expect.objectContaining({ code: "ERR_CONFIG", message: expect.stringMatching(message) }),
      );
    }
  });

  it("cannot start when the shared Redis is unreachable (ERR_NONCE_STORE_UNAVAILABLE), naming no password", async () => {
    const error = await startServer(
      { insecureHttp: true, port: 0 },
      { ...team.env, HITL_REDIS_URL: "redis://:secret-pw@127.0.0.1:1" },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_NONCE_STORE_UNAVAILABLE" });
    expect((error as Error).message).not.toContain("secret-pw");
  });
});

describe("POST /v1/keys: registration", () => {
  it("a fresh login registers the key it proves: 201, the §3.7 entry written in Keycloak; the same key again is 200 with the same entry", async () => {
    const key = makeApprover();
    const { access } = await login("alice");
    const first = await call("POST", "/v1/keys", access, reg(key, ids.alice!));
    expect(first.status).toBe(201);
    const view = first.body.key as Record<string, number | string>;
    expect(view).toMatchObject({ kid: key.kid, state: "active" });
    expect(Number(view.expiresAt) - Number(view.createdAt)).toBe(30 * 86_400);
    expect(attribute("alice")).toEqual([
      formatKeyEntry({ kid: key.kid, publicKey: key.publicKey, createdAt: Number(view.createdAt), expiresAt: Number(view.expiresAt) }),
    ]);
    const again = await call("POST", "/v1/keys", access, reg(key, ids.alice!));
    expect(again.status).toBe(200);
    expect(again.body.key).toEqual(view);
    expect(attribute("alice")).toHaveLength(1);
  });

  it("without a token: 401 ERR_TOKEN_MISSING; a forged or non-extension token: 401 ERR_TOKEN_INVALID", async () => {
    const key = makeApprover();
    expectError(await call("POST", "/v1/keys", undefined, reg(key, ids.alice!)), 401, "ERR_TOKEN_MISSING", /Authorization: Bearer/);
    const { access } = await login("alice");
    const [h, p] = access.split(".");
    const forged = `${h}.${p}.${Buffer.alloc(256, 1).toString("base64url")}`;
    expectError(await call("POST", "/v1/keys", forged, reg(key, ids.alice!)), 401, "ERR_TOKEN_INVALID", /signature/);
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: ids.bob })).toString("base64url")}.${access.split(".")[2]}`;
    expectError(await call("POST", "/v1/keys", altered, reg(key, ids.bob!)), 401, "ERR_TOKEN_INVALID", /signature/);
    // A service's client-credentials token is not a person's login.
    expectError(
      await call("POST", "/v1/keys", await verifierToken(), reg(key, ids.alice!)),
      401,
      "ERR_TOKEN_INVALID",
      /not to the hitl extension/,
    );
  });

  it("a login older than 120 s, or a token refreshed from one: 401 ERR_LOGIN_NOT_FRESH with max_age=120; an expired token: ERR_TOKEN_EXPIRED", async () => {
    const later = await startServer({ insecureHttp: true, port: 0 }, team.env, { clock: () => Date.now() + 150_000 });
    try {
      const key = makeApprover();
      const { access, refresh } = await login("alice");
      // The key's registration as signed 150 s from now, the server's clock.
      const registerLater = (token: string) =>
        call(
          "POST",
          "/v1/keys",
          token,
          registration(key, { sub: ids.alice!, iss: team.kc.issuer, nowSeconds: Math.floor(Date.now() / 1000) + 150 }),
          later,
        );
      const stale = await registerLater(access);
      expectError(stale, 401, "ERR_LOGIN_NOT_FRESH", /Sign in again/);
      expect(stale.headers["www-authenticate"]).toContain("max_age=120");
      // Refreshing gives a new token, but the session's original auth_time.
      const refreshed = await refreshToken(team.kc, refresh);
      const viaRefresh = await registerLater(refreshed);
      expectError(viaRefresh, 401, "ERR_LOGIN_NOT_FRESH", /at most 120 s/);
      expect(attribute("alice").some((value) => value.includes(key.kid))).toBe(false);
    } finally {
      await later.close();
    }
    const muchLater = await startServer({ insecureHttp: true, port: 0 }, team.env, { clock: () => Date.now() + 400_000 });
    try {
      const { access } = await login("alice");
      expectError(await call("POST", "/v1/keys", access, reg(makeApprover(), ids.alice!), muchLater), 401, "ERR_TOKEN_EXPIRED", /expired/);
    } finally {
      await muchLater.close();
    }
  });

  it("a statement for another user: 403 ERR_REGISTRATION_SUBJECT_MISMATCH; another realm or server: their own codes", async () => {
    const key = makeApprover();
    const { access } = await login("alice");
    expectError(await call("POST", "/v1/keys", access, reg(key, ids.bob!)), 403, "ERR_REGISTRATION_SUBJECT_MISMATCH", /another user/);
    expectError(
      await call("POST", "/v1/keys", access, reg(key, ids.alice!, { iss: "https://other.example.test/realms/hitl" })),
      403,
      "ERR_REGISTRATION_ISSUER_MISMATCH",
      /realm/,
    );
    expectError(
      await call("POST", "/v1/keys", access, registration(key, { sub: ids.alice!, iss: team.kc.issuer, aud: "https://evil.example.test" })),
      403,
      "ERR_REGISTRATION_AUDIENCE_MISMATCH",
      /not this one/,
    );
    expect(attribute("bob")).toEqual([]);
  });

  it("no proof of possession: signed by another key ERR_BAD_SIGNATURE; kid not the key's ERR_KEY_ID_MISMATCH; shape ERR_MALFORMED; expired ERR_EXPIRED", async () => {
    const key = makeApprover();
    const other = makeApprover();
    const { access } = await login("alice");
    expectError(
      await call("POST", "/v1/keys", access, reg(key, ids.alice!, {}, other)),
      400,
      "ERR_BAD_SIGNATURE",
      /holder of the private key/,
    );
    expectError(await call("POST", "/v1/keys", access, reg(key, ids.alice!, { kid: other.kid })), 400, "ERR_KEY_ID_MISMATCH", /thumbprint/);
    const body = reg(key, ids.alice!);
    expectError(
      await call("POST", "/v1/keys", access, { ...body, statement: { ...body.statement, label: "x" } }),
      400,
      "ERR_MALFORMED",
      /label is not a known field/,
    );
    const text = JSON.stringify(body).replace('"sig":', `"sig":"${"A".repeat(86)}","sig":`);
    expectError(await call("POST", "/v1/keys", access, text), 400, "ERR_MALFORMED", /more than once|duplicate/i);
    const now = Math.floor(Date.now() / 1000);
    expectError(
      await call("POST", "/v1/keys", access, reg(key, ids.alice!, { iat: now - 400, exp: now - 200 })),
      400,
      "ERR_EXPIRED",
      /expired/,
    );
    expect(attribute("alice").some((value) => value.includes(key.kid))).toBe(false);
  });

  it("a statement replayed: 409 ERR_REPLAYED", async () => {
    const { access } = await login("dave");
    const body = reg(makeApprover(), ids.dave!);
    expect((await call("POST", "/v1/keys", access, body)).status).toBe(201);
    expectError(await call("POST", "/v1/keys", access, body), 409, "ERR_REPLAYED", /.+/);
  });

  it("a user without hitl-approver: 403 ERR_NOT_AN_APPROVER, nothing written", async () => {
    const { access } = await login("carol");
    expectError(await call("POST", "/v1/keys", access, reg(makeApprover(), ids.carol!)), 403, "ERR_NOT_AN_APPROVER", /hitl-approver/);
    expect(attribute("carol")).toEqual([]);
  });

  it("an account disabled after its login: 403 ERR_APPROVER_DISABLED (Keycloak is asked at registration, not the token)", async () => {
    const { access } = await login("fay");
    team.kc.adminHelpers.setEnabled(ids.fay!, false);
    try {
      expectError(await call("POST", "/v1/keys", access, reg(makeApprover(), ids.fay!)), 403, "ERR_APPROVER_DISABLED", /disabled/);
      expect(attribute("fay")).toEqual([]);
    } finally {
      team.kc.adminHelpers.setEnabled(ids.fay!, true);
    }
  });

  it("at most 20 keys: 409 ERR_TOO_MANY_KEYS; expired entries are pruned to make room", async () => {
    const now = Math.floor(Date.now() / 1000);
    const full = Array.from({ length: 20 }, () => {
      const k = makeApprover();
      return formatKeyEntry({ kid: k.kid, publicKey: k.publicKey, createdAt: now - 100, expiresAt: now + 1000 });
    });
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, full);
    const { access } = await login("erin");
    expectError(await call("POST", "/v1/keys", access, reg(makeApprover(), ids.erin!)), 409, "ERR_TOO_MANY_KEYS", /revoke one/);
    const old = makeApprover();
    full[0] = formatKeyEntry({ kid: old.kid, publicKey: old.publicKey, createdAt: now - 2000, expiresAt: now - 1000 });
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, full);
    const key = makeApprover();
    expect((await call("POST", "/v1/keys", access, reg(key, ids.erin!))).status).toBe(201);
    expect(attribute("erin")).toHaveLength(20);
    expect(attribute("erin").some((value) => value.includes(old.kid))).toBe(false);
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, []);
  });

  it("an expired entry of the same key is replaced by a new one (201): the fresh login binds it again", async () => {
    const key = makeApprover();
    const now = Math.floor(Date.now() / 1000);
    const expired = formatKeyEntry({ kid: key.kid, publicKey: key.publicKey, createdAt: now - 5000, expiresAt: now - 10 });
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, [expired]);
    const { access } = await login("erin");
    const renewed = await call("POST", "/v1/keys", access, reg(key, ids.erin!));
    expect(renewed.status).toBe(201);
    expect(renewed.body.key).toMatchObject({ kid: key.kid, state: "active" });
    expect(Number((renewed.body.key as { createdAt: number }).createdAt)).toBeGreaterThanOrEqual(now);
    expect(attribute("erin")).toHaveLength(1);
    expect(attribute("erin")[0]).not.toBe(expired);
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, []);
  });

  it("a corrupt hitl_keys attribute is never repaired by a write: 409 ERR_KEY_ENTRY_INVALID, nothing written", async () => {
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, ["v1.not-an-entry"]);
    const { access } = await login("erin");
    expectError(await call("POST", "/v1/keys", access, reg(makeApprover(), ids.erin!)), 409, "ERR_KEY_ENTRY_INVALID", /admin/);
    expect(attribute("erin")).toEqual(["v1.not-an-entry"]);
    team.kc.adminHelpers.setAttribute(ids.erin!, keycloakRealm.KEYS_ATTRIBUTE, []);
  });

  it("concurrent registrations for one user all land (per-user lock in the shared Redis; Keycloak has no compare-and-set)", async () => {
    const { access } = await login("bob");
    const keys = Array.from({ length: 6 }, () => makeApprover());
    const replies = await Promise.all(keys.map((key) => call("POST", "/v1/keys", access, reg(key, ids.bob!))));
    expect(replies.map((r) => r.status)).toEqual(Array(6).fill(201));
    const stored = attribute("bob");
    for (const key of keys) expect(stored.filter((value) => value.includes(key.kid))).toHaveLength(1);
  });
});

describe("GET /v1/keys and DELETE /v1/keys/{kid}", () => {
  it("the owner lists and revokes; the revoked key verifies no more (ERR_KEY_REVOKED) and is never registered again", async () => {
    const key = makeApprover();
    const { access } = await login("alice");
    expect((await call("POST", "/v1/keys", access, reg(key, ids.alice!))).status).toBe(201);
    const listed = await call("GET", "/v1/keys", access);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ sub: ids.alice, username: "alice" });
    expect((listed.body.keys as Array<{ kid: string }>).map((k) => k.kid)).toContain(key.kid);

    const revoked = await call("DELETE", `/v1/keys/${key.kid}`, access);
    expect(revoked.status).toBe(200);
    expect(revoked.body.key).toMatchObject({ kid: key.kid, state: "revoked", revokedAt: expect.any(Number) });
    const again = await call("DELETE", `/v1/keys/${key.kid}`, access);
    expect(again.body.key).toEqual(revoked.body.key);

    const verify = await call("POST", "/v1/verify", await verifierToken(), {
      receipt: receiptFor(key, ids.alice!),
      expected: { aud: "payments" },
    });
    expectError(verify, 422, "ERR_KEY_REVOKED", /revoked/);
    expectError(await call("POST", "/v1/keys", access, reg(key, ids.alice!)), 409, "ERR_KEY_REVOKED", /new key/);
  });

  it("an unknown kid: 404 ERR_UNKNOWN_KEY; a bad kid: 400 ERR_MALFORMED", async () => {
    const { access } = await login("alice");
    expectError(await call("DELETE", `/v1/keys/${makeApprover().kid}`, access), 404, "ERR_UNKNOWN_KEY", /nothing to revoke/);
    expectError(await call("DELETE", "/v1/keys/short", access), 400, "ERR_MALFORMED", /43 base64url/);
  });

  it("an admin (manage-users) revokes another user's key with ?sub=; a user cannot (403 ERR_CALLER_NOT_ALLOWED)", async () => {
    const key = makeApprover();
    const bob = await login("bob");
    expect((await call("POST", "/v1/keys", bob.access, reg(key, ids.bob!))).status).toBe(201);
    const alice = await login("alice");
    expectError(await call("DELETE", `/v1/keys/${key.kid}?sub=${ids.bob}`, alice.access), 403, "ERR_CALLER_NOT_ALLOWED", /manage-users/);
    const byAdmin = await call("DELETE", `/v1/keys/${key.kid}?sub=${ids.bob}`, await serverToken());
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.key).toMatchObject({ kid: key.kid, state: "revoked" });
  });
});

describe("POST /v1/verify", () => {
  let key: TestApprover;
  beforeAll(async () => {
    key = makeApprover();
    const { access } = await login("dave");
    expect((await call("POST", "/v1/keys", access, reg(key, ids.dave!))).status).toBe(201);
  });

  it("a hitl-verify client gets the verified approver (Keycloak username) and action; the same receipt again is 422 ERR_REPLAYED", async () => {
    const receipt = receiptFor(key, ids.dave!);
    const token = await verifierToken();
    const ok = await call("POST", "/v1/verify", token, { receipt, expected: { aud: "payments" } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      approver: { sub: ids.dave, username: "dave" },
      kid: key.kid,
      action: receipt.challenge.action,
      challenge: {
        id: receipt.challenge.id,
        aud: "payments",
        iat: receipt.challenge.iat,
        exp: receipt.challenge.exp,
        intent: receipt.challenge.intent,
      },
      decidedAt: receipt.statement.decidedAt,
    });
    expectError(await call("POST", "/v1/verify", token, { receipt, expected: { aud: "payments" } }), 422, "ERR_REPLAYED", /.+/);
  });

  it("callers without hitl-verify (a user, the hitl-server client) or without a token cannot burn nonces", async () => {
    const receipt = receiptFor(key, ids.dave!);
    const body = { receipt, expected: { aud: "payments" } };
    expectError(await call("POST", "/v1/verify", (await login("dave")).access, body), 403, "ERR_CALLER_NOT_ALLOWED", /hitl-verify/);
    expectError(await call("POST", "/v1/verify", await serverToken(), body), 403, "ERR_CALLER_NOT_ALLOWED", /hitl-verify/);
    expectError(await call("POST", "/v1/verify", undefined, body), 401, "ERR_TOKEN_MISSING", /Bearer/);
    // The nonce is still unused.
    expect((await call("POST", "/v1/verify", await verifierToken(), body)).status).toBe(200);
  });

  it("verdicts keep verifyReceipt's codes: ERR_DENIED, ERR_AUDIENCE_MISMATCH, ERR_UNKNOWN_KEY, ERR_NOT_AN_APPROVER; a bad body ERR_MALFORMED", async () => {
    const token = await verifierToken();
    expectError(
      await call("POST", "/v1/verify", token, { receipt: receiptFor(key, ids.dave!, "deny"), expected: { aud: "payments" } }),
      422,
      "ERR_DENIED",
      /denied/,
    );
    expectError(
      await call("POST", "/v1/verify", token, { receipt: receiptFor(key, ids.dave!), expected: { aud: "other" } }),
      422,
      "ERR_AUDIENCE_MISMATCH",
      /.+/,
    );
    expectError(
      await call("POST", "/v1/verify", token, { receipt: receiptFor(makeApprover(), ids.dave!), expected: { aud: "payments" } }),
      422,
      "ERR_UNKNOWN_KEY",
      /not registered/,
    );
    expectError(
      await call("POST", "/v1/verify", token, { receipt: receiptFor(makeApprover(), ids.carol!), expected: { aud: "payments" } }),
      422,
      "ERR_NOT_AN_APPROVER",
      /hitl-approver/,
    );
    expectError(await call("POST", "/v1/verify", token, { receipt: receiptFor(key, ids.dave!) }), 400, "ERR_MALFORMED", /expected/);
    expectError(
      await call("POST", "/v1/verify", token, { receipt: receiptFor(key, ids.dave!), expected: { aud: "payments", intent: "x" } }),
      400,
      "ERR_MALFORMED",
      /intent/,
    );
  });

  it("the local approvers file counts for nothing: a key only in no Keycloak account is ERR_UNKNOWN_KEY", async () => {
    const agentKey = makeApprover();
    const verdict = await call("POST", "/v1/verify", await verifierToken(), {
      receipt: receiptFor(agentKey, ids.dave!),
      expected: { aud: "payments" },
    });
    expectError(verdict, 422, "ERR_UNKNOWN_KEY", /Sign in with the extension/);
  });
});

describe("HTTP surface", () => {
  it("GET /v1/health reports Redis, Keycloak and the version", async () => {
    const health = await call("GET", "/v1/health");
    expect(health).toMatchObject({ status: 200, body: { status: "ok", version: "0.1.0", redis: "ok", keycloak: "ok" } });
  });

  it("415 ERR_UNSUPPORTED_MEDIA_TYPE, 413 ERR_TOO_LARGE, 404 ERR_NOT_FOUND, over real HTTP", async () => {
    const text = await fetch(`${server.url}/v1/verify`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ code: "ERR_UNSUPPORTED_MEDIA_TYPE" });
    const big = await fetch(`${server.url}/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `"${"a".repeat(80_000)}"`,
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: "ERR_TOO_LARGE" });
    const missing = await fetch(`${server.url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "ERR_NOT_FOUND", message: expect.stringContaining("§9") });
    const health = await fetch(`${server.url}/v1/health`);
    expect(await health.json()).toMatchObject({ status: "ok" });
  });

  it("rate limit on the shared Redis: 429 ERR_RATE_LIMITED with Retry-After, counted across server processes", async () => {
    const env = { ...team.env, HITL_RATE_LIMIT_PER_MINUTE: "3", HITL_REDIS_PREFIX: `${team.prefix}rl:` };
    const one = await startServer({ insecureHttp: true, port: 0 }, env);
    const two = await startServer({ insecureHttp: true, port: 0 }, env);
    try {
      const statuses = [];
      for (const target of [one, two, one, two]) statuses.push((await call("GET", "/v1/keys", undefined, undefined, target)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const limited = await call("GET", "/v1/keys", undefined, undefined, one);
      expectError(limited, 429, "ERR_RATE_LIMITED", /retry in/);
      expect(limited.headers["retry-after"]).toBeDefined();
    } finally {
      await one.close();
      await two.close();
    }
  });
  // A command that fails while the connection still says "ready" (here: a counter INCR cannot
  // count; in production: Redis going away mid-command) is the store's failure, named as such.
  it("a rate-limit counter Redis cannot update refuses with 503 ERR_NONCE_STORE_UNAVAILABLE, never a 500", async () => {
    const prefix = `${team.prefix}rlbroken:`;
    const one = await startServer({ insecureHttp: true, port: 0 }, { ...team.env, HITL_REDIS_PREFIX: prefix });
    const redis = new Redis(team.redisUrl);
    try {
      expect((await call("GET", "/v1/keys", undefined, undefined, one)).status).toBe(401);
      const counters = await redis.keys(`${prefix}rate:*`);
      expect(counters.length).toBeGreaterThan(0);
      for (const key of counters) await redis.set(key, "not a number");
      expectError(
        await call("GET", "/v1/keys", undefined, undefined, one),
        503,
        "ERR_NONCE_STORE_UNAVAILABLE",
        /shared Redis is unavailable; nothing was accepted/,
      );
    } finally {
      redis.disconnect();
      await one.close();
    }
  });
});

describe("TLS", () => {
  it("--tls-cert/--tls-key serve HTTPS on a non-loopback address; the certificate is the one given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hitl-server-tls-"));
    try {
      const { cert, key } = selfSignedCertificate(dir, "hitl.test");
      const tls = await startServer({ host: "0.0.0.0", port: 0, tlsCert: cert, tlsKey: key }, team.env);
      try {
        const port = new URL(tls.url.replace("0.0.0.0", "127.0.0.1")).port;
        const ca = readFileSync(cert);
        const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpsRequest({ host: "127.0.0.1", port, path: "/v1/health", ca }, (res) => {
            let body = "";
            res.on("data", (chunk) => {
              body += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on("error", reject);
          req.end();
        });
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toMatchObject({ status: "ok" });
        // Plain HTTP to the TLS port gets no hitl answer.
        const plain = await fetch(`http://127.0.0.1:${port}/v1/health`).then(
          (r) => r.status,
          () => "refused",
        );
        expect(plain).not.toBe(200);
      } finally {
        await tls.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Keycloak stopped", () => {
  it("verification denies with ERR_KEYCLOAK_UNREACHABLE (503), registration too; health names it", async () => {
    const key = makeApprover();
    const { access } = await login("bob");
    expect((await call("POST", "/v1/keys", access, reg(key, ids.bob!))).status).toBe(201);
    const token = await verifierToken();
    const fresh = await startServer({ insecureHttp: true, port: 0 }, team.env);
    try {
      // The fresh server has the JWKS (one call) but no cached user: Keycloak is asked at verification.
      expectError(
        await call(
          "POST",
          "/v1/verify",
          token,
          { receipt: receiptFor(makeApprover(), "no-such-user"), expected: { aud: "payments" } },
          fresh,
        ),
        422,
        "ERR_UNKNOWN_APPROVER",
        /No Keycloak user/,
      );
      await team.kc.stop();
      const receipt = receiptFor(key, ids.bob!);
      expectError(
        await call("POST", "/v1/verify", token, { receipt, expected: { aud: "payments" } }, fresh),
        503,
        "ERR_KEYCLOAK_UNREACHABLE",
        /cannot be reached|Check that Keycloak runs/,
      );
      expectError(
        await call("POST", "/v1/keys", access, reg(makeApprover(), ids.bob!), fresh),
        503,
        "ERR_KEYCLOAK_UNREACHABLE",
        /Keycloak/,
      );
      const health = await call("GET", "/v1/health", undefined, undefined, fresh);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: "unavailable", redis: "ok", keycloak: { code: "ERR_KEYCLOAK_UNREACHABLE" } });
    } finally {
      await fresh.close();
    }
  });
});

describe("Redis stopped", () => {
  it("fails closed: verification and registration are refused (5xx, nothing accepted), health names Redis", async () => {
    const token = earlyVerifierToken;
    await team.redis.stop();
    const body = { receipt: receiptFor(makeApprover(), ids.dave!), expected: { aud: "payments" } };
    const verdict = await call("POST", "/v1/verify", token, body);
    expectError(verdict, 503, "ERR_NONCE_STORE_UNAVAILABLE", /shared Redis is unavailable; nothing was accepted/);
    const health = await call("GET", "/v1/health");
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: "unavailable", redis: { code: "ERR_NONCE_STORE_UNAVAILABLE" } });
  });
});
