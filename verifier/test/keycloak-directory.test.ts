import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeycloakStandIn, startKeycloakStandIn } from "../../oauth/stand-in/index.js";
import { KeycloakKeyDirectory } from "../src/keys/keycloak-key-directory.js";
import type { KeycloakKeyDirectoryOptions } from "../src/keys/lib/keycloak-options.js";
import { APPROVER_ROLE, KEYS_ATTRIBUTE } from "../src/keys/lib/keycloak-realm.js";
import { makeApprover, nowSeconds, type TestApprover } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { describeKeycloakDirectory, entryFor, receiptOf } from "./helpers/keycloak-directory-suite.js";
import { standInFixture, uniqueUsername } from "./helpers/keycloak-fixture.js";
import { freePort } from "./helpers/redis-server.js";

/*
 * KeycloakKeyDirectory against the Keycloak STAND-IN (oauth/stand-in: oidc-provider + the Admin
 * REST subset, loaded from oauth/realm-hitl.json). The shared cases also run against a real
 * Keycloak in keycloak-contract.test.ts when HITL_KEYCLOAK_URL is set.
 */

let kc: KeycloakStandIn;
beforeAll(async () => {
  kc = await startKeycloakStandIn();
});
afterAll(async () => {
  await kc?.stop();
});

describe("KeycloakKeyDirectory (shared contract cases, on the stand-in)", () => {
  describeKeycloakDirectory(() => standInFixture(kc));
});

async function approverOnStandIn(stand: KeycloakStandIn = kc): Promise<{ id: string; username: string; approver: TestApprover }> {
  const user = stand.adminHelpers.addUser({ username: uniqueUsername("bob"), realmRoles: [APPROVER_ROLE] });
  const approver = makeApprover(user.id);
  stand.adminHelpers.setAttribute(user.id, KEYS_ATTRIBUTE, [entryFor(approver)]);
  return { id: user.id, username: user.username, approver };
}

function open(extra: Partial<KeycloakKeyDirectoryOptions> = {}, stand: KeycloakStandIn = kc): Promise<KeycloakKeyDirectory> {
  return KeycloakKeyDirectory.open({ url: stand.url, clientSecret: stand.verifierClientSecret, ...extra });
}

function verify(receipt: unknown, keys: KeycloakKeyDirectory) {
  return verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: "offline-audit" });
}

describe("KeycloakKeyDirectory: a Keycloak that is down or slow denies within the timeout", () => {
  it("nothing listens at the URL: ERR_KEYCLOAK_UNREACHABLE, naming the URL and the cause", async () => {
    const port = await freePort();
    const keys = await KeycloakKeyDirectory.open({ url: `http://127.0.0.1:${port}`, clientSecret: "s", timeoutMs: 2000 });
    const started = performance.now();
    await expect(verify(receiptOf(makeApprover("11111111-2222-4333-8444-555555555555")), keys)).rejects.toMatchObject({
      code: "ERR_KEYCLOAK_UNREACHABLE",
      message: `Keycloak at http://127.0.0.1:${port} (realm hitl) cannot be reached (ECONNREFUSED); the approval is refused. Check that Keycloak runs and the URL is right.`,
    });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("the stand-in stopped after a first success: ERR_KEYCLOAK_UNREACHABLE (nothing cached is trusted past its TTL)", async () => {
    const stand = await startKeycloakStandIn();
    const { approver } = await approverOnStandIn(stand);
    const keys = await open({ cacheTtlMs: 0 }, stand);
    await verify(receiptOf(approver), keys);
    await stand.stop();
    await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({ code: "ERR_KEYCLOAK_UNREACHABLE" });
  });

  it("slow Admin REST answers: ERR_KEYCLOAK_TIMEOUT after timeoutMs, not after Keycloak's answer", async () => {
    const { approver } = await approverOnStandIn();
    const keys = await open({ timeoutMs: 300 });
    kc.adminHelpers.setAdminDelay(3000);
    try {
      const started = performance.now();
      await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({
        code: "ERR_KEYCLOAK_TIMEOUT",
        message: `Keycloak at ${kc.url} did not answer within 300 ms; the approval is refused. Check Keycloak's load, or raise the timeout.`,
      });
      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1500);
    } finally {
      kc.adminHelpers.setAdminDelay(0);
    }
  });

  it("a slow token endpoint: ERR_KEYCLOAK_TIMEOUT too", async () => {
    const { approver } = await approverOnStandIn();
    const keys = await open({ timeoutMs: 300 });
    kc.adminHelpers.setTokenDelay(3000);
    try {
      await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({ code: "ERR_KEYCLOAK_TIMEOUT" });
    } finally {
      kc.adminHelpers.setTokenDelay(0);
    }
  });
});

describe("KeycloakKeyDirectory: caches", () => {
  it("the service-account token is fetched once and reused for lookups of many users", async () => {
    const keys = await open({ cacheTtlMs: 0 });
    const before = kc.adminHelpers.tokenRequestCount();
    for (let i = 0; i < 3; i++) await verify(receiptOf((await approverOnStandIn()).approver), keys);
    expect(kc.adminHelpers.tokenRequestCount() - before).toBe(1);
  });

  it("positive cache: a second lookup within the TTL asks Keycloak nothing; after the TTL it asks again", async () => {
    const { approver } = await approverOnStandIn();
    const keys = await open({ cacheTtlMs: 400 });
    await verify(receiptOf(approver), keys);
    const afterFirst = kc.adminHelpers.adminRequestCount();
    await verify(receiptOf(approver), keys);
    expect(kc.adminHelpers.adminRequestCount()).toBe(afterFirst);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await verify(receiptOf(approver), keys);
    expect(kc.adminHelpers.adminRequestCount()).toBe(afterFirst + 2); // the user, then the effective realm roles
  });

  it("a revocation bites once the positive TTL has passed, or at once after forget(sub)", async () => {
    const { id, approver } = await approverOnStandIn();
    const keys = await open({ cacheTtlMs: 60_000 });
    await verify(receiptOf(approver), keys);
    kc.adminHelpers.setAttribute(id, KEYS_ATTRIBUTE, [entryFor(approver, { createdAt: nowSeconds() - 100, revokedAt: nowSeconds() })]);
    await verify(receiptOf(approver), keys); // still cached: the documented revocation delay
    keys.forget(id);
    await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({ code: "ERR_KEY_REVOKED" });
  });

  it("a key registered after the user was cached works at once (one refetch); made-up kids refetch at most once a second", async () => {
    const { id, approver } = await approverOnStandIn();
    const keys = await open({ cacheTtlMs: 60_000 });
    await verify(receiptOf(approver), keys);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    const second = makeApprover(id);
    kc.adminHelpers.setAttribute(id, KEYS_ATTRIBUTE, [entryFor(approver), entryFor(second)]);
    const before = kc.adminHelpers.adminRequestCount();
    expect((await verify(receiptOf(second), keys)).approver.kid).toBe(second.kid);
    expect(kc.adminHelpers.adminRequestCount()).toBe(before + 2);
    for (let i = 0; i < 20; i++) {
      await expect(verify(receiptOf(makeApprover(id)), keys)).rejects.toMatchObject({ code: "ERR_UNKNOWN_KEY" });
    }
    expect(kc.adminHelpers.adminRequestCount()).toBe(before + 2);
  });

  it("key expiry is judged at every lookup, also for a cached user", async () => {
    const { id, approver } = await approverOnStandIn();
    const now = nowSeconds();
    kc.adminHelpers.setAttribute(id, KEYS_ATTRIBUTE, [entryFor(approver, { createdAt: now - 100, expiresAt: now + 60 })]);
    let clock = Date.now();
    const keys = await open({ cacheTtlMs: 60_000, clock: () => clock });
    await verify(receiptOf(approver), keys);
    const requests = kc.adminHelpers.adminRequestCount();
    clock += 61_000;
    await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({ code: "ERR_KEY_EXPIRED" });
    expect(kc.adminHelpers.adminRequestCount()).toBe(requests);
  });

  it("negative cache is bounded: the oldest refusal is forgotten first", async () => {
    const keys = await open({ negativeCacheTtlMs: 60_000, negativeCacheMaxEntries: 2 });
    const strangers = [1, 2, 3].map((n) => makeApprover(`00000000-0000-4000-8000-00000000000${n}`));
    for (const stranger of strangers)
      await expect(verify(receiptOf(stranger), keys)).rejects.toMatchObject({ code: "ERR_UNKNOWN_APPROVER" });
    const before = kc.adminHelpers.adminRequestCount();
    await expect(verify(receiptOf(strangers[2]!), keys)).rejects.toMatchObject({ code: "ERR_UNKNOWN_APPROVER" });
    expect(kc.adminHelpers.adminRequestCount()).toBe(before); // still cached
    await expect(verify(receiptOf(strangers[0]!), keys)).rejects.toMatchObject({ code: "ERR_UNKNOWN_APPROVER" });
    expect(kc.adminHelpers.adminRequestCount()).toBe(before + 1); // evicted, asked again
  });

  it("100 concurrent lookups of one user make one round trip (user + roles)", async () => {
    const { approver } = await approverOnStandIn();
    const keys = await open({ cacheTtlMs: 60_000 });
    const before = kc.adminHelpers.adminRequestCount();
    const results = await Promise.all(Array.from({ length: 100 }, () => verify(receiptOf(approver), keys)));
    expect(results.every((result) => result.approver.kid === approver.kid)).toBe(true);
    expect(kc.adminHelpers.adminRequestCount() - before).toBe(2);
  });

  it("errors are not cached: Keycloak answering again gives the normal answer at once", async () => {
    const { approver } = await approverOnStandIn();
    const keys = await open({ timeoutMs: 300, negativeCacheTtlMs: 60_000 });
    kc.adminHelpers.setAdminDelay(1000);
    try {
      await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({ code: "ERR_KEYCLOAK_TIMEOUT" });
    } finally {
      kc.adminHelpers.setAdminDelay(0);
    }
    const verified = await verify(receiptOf(approver), keys);
    expect(verified.approver.kid).toBe(approver.kid);
  });
});

describe("KeycloakKeyDirectory: the stand-in's own checks", () => {
  it("a hitl_keys value that Keycloak's pattern validator would refuse (written around it): ERR_KEY_ENTRY_INVALID", async () => {
    const { id, approver } = await approverOnStandIn();
    kc.adminHelpers.setAttribute(id, KEYS_ATTRIBUTE, [`${entryFor(approver)} `]);
    const keys = await open({ cacheTtlMs: 0, negativeCacheTtlMs: 0 });
    await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({
      code: "ERR_KEY_ENTRY_INVALID",
      message:
        'A hitl_keys value is not "v1.<kid>.<publicKey>.<created>.<expires>[.<revoked>]"; the key directory was written by something other than the hitl server. Have an admin remove the value.',
    });
  });

  it("the same kid listed twice: ERR_KEY_ENTRY_INVALID (the whole user is refused, never one entry picked)", async () => {
    const { id, approver } = await approverOnStandIn();
    kc.adminHelpers.setAttribute(id, KEYS_ATTRIBUTE, [entryFor(approver), entryFor(approver, { createdAt: nowSeconds() - 5 })]);
    const keys = await open({ cacheTtlMs: 0, negativeCacheTtlMs: 0 });
    await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({
      code: "ERR_KEY_ENTRY_INVALID",
      message: `The hitl_keys attribute lists key ${approver.kid} twice. Have an admin remove one.`,
    });
  });

  it("a service account never approves, even with hitl-approver and a key: ERR_NOT_AN_APPROVER", async () => {
    const account = kc.adminHelpers.serviceAccount("hitl-server");
    const approver = makeApprover(account.id);
    kc.adminHelpers.grantRealmRole(account.id, APPROVER_ROLE);
    kc.adminHelpers.setAttribute(account.id, KEYS_ATTRIBUTE, [entryFor(approver)]);
    try {
      const keys = await open({ cacheTtlMs: 0, negativeCacheTtlMs: 0 });
      await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({
        code: "ERR_NOT_AN_APPROVER",
        message:
          'The Keycloak account "service-account-hitl-server" is a client\'s service account, not a person; it cannot approve, whatever its roles.',
      });
    } finally {
      kc.adminHelpers.revokeRealmRole(account.id, APPROVER_ROLE);
      kc.adminHelpers.setAttribute(account.id, KEYS_ATTRIBUTE, []);
    }
  });

  it("the service account without view-users (token scope intact, role mapping removed): ERR_KEYCLOAK_UNAUTHORIZED (HTTP 403)", async () => {
    const stand = await startKeycloakStandIn();
    try {
      const { approver } = await approverOnStandIn(stand);
      stand.adminHelpers.setClientRoles(stand.adminHelpers.serviceAccount("hitl-verifier").id, "realm-management", []);
      const keys = await open({}, stand);
      await expect(verify(receiptOf(approver), keys)).rejects.toMatchObject({
        code: "ERR_KEYCLOAK_UNAUTHORIZED",
        message: expect.stringContaining('refused the "hitl-verifier" service account (HTTP 403)'),
      });
    } finally {
      await stand.stop();
    }
  });
});

describe("KeycloakKeyDirectory.open: options are checked before anything runs", () => {
  it.each([
    [
      { url: "http://id.example.com", clientSecret: "s" },
      "KeycloakKeyDirectory: url must use https (plain http only on loopback); got http://id.example.com.",
    ],
    [
      { url: "https://user:pw@id.example.com", clientSecret: "s" },
      "KeycloakKeyDirectory: url must not carry credentials, a query or a fragment.",
    ],
    [
      { url: "not a url", clientSecret: "s" },
      'KeycloakKeyDirectory: url "not a url" is not a URL; give Keycloak\'s base URL, e.g. https://id.example.com.',
    ],
    [
      { url: "https://id.example.com", clientSecret: "" },
      'KeycloakKeyDirectory: clientSecret is required: the secret of the "hitl-verifier" client (Keycloak: Clients → hitl-verifier → Credentials).',
    ],
    [
      { url: "https://id.example.com", clientSecret: "s", timeoutMs: 0 },
      "KeycloakKeyDirectory: timeoutMs must be an integer between 1 and 60000.",
    ],
    [
      { url: "https://id.example.com", clientSecret: "s", cacheTtlMs: 600_000 },
      "KeycloakKeyDirectory: cacheTtlMs must be an integer between 0 and 300000.",
    ],
  ] as const)("%j → ERR_CONFIG", async (options, message) => {
    await expect(KeycloakKeyDirectory.open(options as KeycloakKeyDirectoryOptions)).rejects.toMatchObject({ code: "ERR_CONFIG", message });
  });
});
