import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeycloakKeyDirectory } from "../../src/keys/keycloak-key-directory.js";
import { formatKeyEntry } from "../../src/keys/lib/key-entry.js";
import type { KeycloakKeyDirectoryOptions } from "../../src/keys/lib/keycloak-options.js";
import { formatFingerprint } from "../../src/protocol/signing-input.js";
import { makeApprover, makeChallenge, nowSeconds, signReceipt, type TestApprover } from "../../src/testing/index.js";
import { verifyReceipt } from "../../src/verify-receipt.js";
import type { KeycloakFixture } from "./keycloak-fixture.js";
import { uniqueUsername } from "./keycloak-fixture.js";

const DAY = 86_400;

/** A `hitl_keys` value for this approver's key. */
export function entryFor(approver: TestApprover, times: { createdAt?: number; expiresAt?: number; revokedAt?: number } = {}): string {
  const createdAt = times.createdAt ?? nowSeconds() - 60;
  return formatKeyEntry({
    kid: approver.kid,
    publicKey: approver.publicKey,
    createdAt,
    expiresAt: times.expiresAt ?? createdAt + 30 * DAY,
    ...(times.revokedAt !== undefined ? { revokedAt: times.revokedAt } : {}),
  });
}

/** A receipt signed by `approver` for its Keycloak user (approver.sub = the user id). */
export function receiptOf(approver: TestApprover) {
  return signReceipt(makeChallenge(), approver);
}

/**
 * The directory's behaviour that must hold against ANY Keycloak: run against the stand-in by
 * keycloak-directory.test.ts and against a real Keycloak by keycloak-contract.test.ts. Every case
 * goes through verifyReceipt with a real Ed25519 receipt, and asserts code and message.
 */
export function describeKeycloakDirectory(fixture: () => KeycloakFixture | Promise<KeycloakFixture>): void {
  let kc: KeycloakFixture;
  const directories: KeycloakKeyDirectory[] = [];
  // No caching here: each case sees Keycloak's current state (caches are tested on the stand-in).
  const open = async (extra: Partial<KeycloakKeyDirectoryOptions> = {}) => {
    const directory = await KeycloakKeyDirectory.open({
      url: kc.url,
      clientSecret: kc.clientSecret,
      timeoutMs: 5000,
      cacheTtlMs: 0,
      negativeCacheTtlMs: 0,
      ...extra,
    });
    directories.push(directory);
    return directory;
  };
  const verify = async (receipt: unknown, extra: Partial<KeycloakKeyDirectoryOptions> = {}) =>
    verifyReceipt(receipt, { aud: "hitl-cli" }, { keys: await open(extra), nonces: "offline-audit" });

  /** An approver whose Keycloak user exists, with the given state. */
  const approverUser = async (spec: { enabled?: boolean; approver?: boolean; keys?: (a: TestApprover) => string[] } = {}) => {
    const username = uniqueUsername("alice");
    // The key's subject is the user id, known only once the user exists: create, then register.
    const user = await kc.createUser({ username, enabled: spec.enabled ?? true, approver: spec.approver ?? true });
    const approver = makeApprover(user.id);
    await kc.setKeys(user.id, spec.keys === undefined ? [entryFor(approver)] : spec.keys(approver));
    return { user, approver };
  };

  beforeAll(async () => {
    kc = await fixture();
  });
  afterAll(async () => {
    await kc.cleanup();
  });

  describe("accepts", () => {
    it("an enabled hitl-approver's registered, unexpired key: the verified approver carries the Keycloak username", async () => {
      const { user, approver } = await approverUser();
      const verified = await verify(receiptOf(approver));
      expect(verified.approver).toEqual({ sub: user.id, kid: approver.kid, publicKey: approver.publicKey, label: user.username });
    });

    it("one of several keys (one per browser profile), each on its own", async () => {
      const other = makeApprover("unused");
      const { approver } = await approverUser({ keys: (a) => [entryFor(other), entryFor(a)] });
      const verified = await verify(receiptOf(approver));
      expect(verified.approver.kid).toBe(approver.kid);
    });
  });

  describe("denies, each with its own code", () => {
    it("a subject that is no Keycloak user: ERR_UNKNOWN_APPROVER", async () => {
      const stranger = makeApprover(randomUUID());
      await expect(verify(receiptOf(stranger))).rejects.toMatchObject({
        code: "ERR_UNKNOWN_APPROVER",
        message: `No Keycloak user has the id "${stranger.sub}"; the receipt does not come from an approver of this realm.`,
      });
    });

    it("a disabled user: ERR_APPROVER_DISABLED", async () => {
      const { user, approver } = await approverUser({ enabled: false });
      await expect(verify(receiptOf(approver))).rejects.toMatchObject({
        code: "ERR_APPROVER_DISABLED",
        message: `The Keycloak account "${user.username}" is disabled; its approvals are refused. An admin can enable it again.`,
      });
    });

    it("a user without the realm role hitl-approver, and again after the role is taken away: ERR_NOT_AN_APPROVER", async () => {
      const message = (username: string) =>
        `The Keycloak account "${username}" does not have the realm role hitl-approver; only its members may approve. Ask an admin to grant it.`;
      const never = await approverUser({ approver: false });
      await expect(verify(receiptOf(never.approver))).rejects.toMatchObject({
        code: "ERR_NOT_AN_APPROVER",
        message: message(never.user.username),
      });

      const former = await approverUser();
      await verify(receiptOf(former.approver));
      await kc.setApprover(former.user.id, false);
      await expect(verify(receiptOf(former.approver))).rejects.toMatchObject({
        code: "ERR_NOT_AN_APPROVER",
        message: message(former.user.username),
      });
    });

    it("a key that is not registered for this user (never, or removed): ERR_UNKNOWN_KEY", async () => {
      const other = makeApprover("unused");
      const { user, approver } = await approverUser({ keys: () => [entryFor(other)] });
      const expected = {
        code: "ERR_UNKNOWN_KEY",
        message: `Key ${formatFingerprint(approver.kid)} is not registered for "${user.username}" (never registered, or removed). Sign in with the extension to register this browser's key.`,
      };
      await expect(verify(receiptOf(approver))).rejects.toMatchObject(expected);
      await kc.setKeys(user.id, []);
      await expect(verify(receiptOf(approver))).rejects.toMatchObject(expected);
    });

    it("another user's registered key: ERR_UNKNOWN_KEY (a key belongs to one user)", async () => {
      const owner = await approverUser();
      const thief = await approverUser();
      // The thief's receipt names the thief's user id but is signed with the owner's key.
      const borrowed = { ...owner.approver, sub: thief.user.id };
      await expect(verify(receiptOf(borrowed))).rejects.toMatchObject({ code: "ERR_UNKNOWN_KEY" });
    });

    it("an expired key: ERR_KEY_EXPIRED, naming when", async () => {
      const expiresAt = nowSeconds() - 10;
      const { user, approver } = await approverUser({ keys: (a) => [entryFor(a, { createdAt: expiresAt - 30 * DAY, expiresAt })] });
      await expect(verify(receiptOf(approver))).rejects.toMatchObject({
        code: "ERR_KEY_EXPIRED",
        message: `Key ${formatFingerprint(approver.kid)} of "${user.username}" expired at ${new Date(expiresAt * 1000).toISOString()}. Sign in with the extension to register the key again.`,
      });
    });

    it("a revoked key: ERR_KEY_REVOKED, naming when", async () => {
      const { user, approver } = await approverUser();
      await verify(receiptOf(approver));
      const revokedAt = nowSeconds();
      await kc.setKeys(user.id, [entryFor(approver, { createdAt: revokedAt - 120, revokedAt })]);
      await expect(verify(receiptOf(approver))).rejects.toMatchObject({
        code: "ERR_KEY_REVOKED",
        message: `Key ${formatFingerprint(approver.kid)} of "${user.username}" was revoked at ${new Date(revokedAt * 1000).toISOString()}; its approvals are refused. Register this browser's key again after signing in.`,
      });
    });

    it("an entry whose kid is not its key's thumbprint (passes the realm's pattern): ERR_KEY_ENTRY_INVALID", async () => {
      const other = makeApprover("unused");
      const { approver } = await approverUser({
        keys: (a) => [
          entryFor(a).replace(
            `.${Buffer.from(a.publicKey).toString("base64url")}.`,
            `.${Buffer.from(other.publicKey).toString("base64url")}.`,
          ),
        ],
      });
      await expect(verify(receiptOf(approver))).rejects.toMatchObject({
        code: "ERR_KEY_ENTRY_INVALID",
        message: `The hitl_keys value for key ${approver.kid} carries a public key with another thumbprint. Have an admin remove the value.`,
      });
    });

    it("a receipt forged with another key under a registered kid: ERR_BAD_SIGNATURE (the directory's key decides)", async () => {
      const { approver } = await approverUser();
      const forger = { ...makeApprover(approver.sub), kid: approver.kid };
      await expect(verify(receiptOf(forger))).rejects.toMatchObject({ code: "ERR_BAD_SIGNATURE" });
    });

    it("a wrong client secret: ERR_KEYCLOAK_UNAUTHORIZED, saying what to check", async () => {
      const { approver } = await approverUser();
      await expect(verify(receiptOf(approver), { clientSecret: "not-the-secret" })).rejects.toMatchObject({
        code: "ERR_KEYCLOAK_UNAUTHORIZED",
        message: expect.stringMatching(
          /refused the "hitl-verifier" service account \(HTTP 401\); the approval is refused\. Check the client secret and that its service account has the realm-management role view-users\.$/,
        ),
      });
    });
  });
}
