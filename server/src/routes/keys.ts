import { formatKeyEntry, HitlError, KEY_REGISTRATION, type KeyEntry, keycloakRealm } from "@hitl/verifier";
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../create-app.js";
import { assertExtensionToken, assertFreshLogin, type TokenClaims } from "../lib/access-token.js";
import { checkRegistration } from "../lib/check-registration.js";
import { type KeyView, keyView, parseEntries } from "../lib/key-view.js";
import type { Account } from "../lib/keycloak-accounts.js";
import { withUserLock } from "../lib/user-lock.js";

const KID = /^[A-Za-z0-9_-]{43}$/;
const USER_ID = /^[\x21-\x7e]{1,255}$/;
/** How long a write waits for another write to the same user. */
const LOCK_WAIT_MS = 5000;

/** POST /v1/keys, GET /v1/keys, DELETE /v1/keys/{kid} (docs/protocol.md §3.8, §9). */
export function registerKeyRoutes(app: FastifyInstance, deps: AppDeps): void {
  const now = deps.clock ?? Date.now;

  app.post("/v1/keys", async (request, reply) => {
    // 1–2: the token and the freshness of its login, before the body is even read.
    const claims = await deps.tokens.verify(request.headers.authorization);
    assertExtensionToken(claims);
    assertFreshLogin(claims, KEY_REGISTRATION.loginFreshnessSeconds, now());
    // 3–6: the statement, bound to that login, signed by the key it registers.
    const { statement, publicKey } = checkRegistration(request.body, claims, { publicUrl: deps.publicUrl, nowMs: now() });
    // 7: the account may approve.
    assertApprover(await deps.accounts.find(claims.sub), claims.sub);
    // 8: one statement registers once.
    await deps.registrationNonces.consume(statement.nonce, statement.exp, statement.iat);
    // 9: read-modify-write under the user's lock.
    const { view, created } = await withUserLock(deps.redis, deps.redisPrefix, claims.sub, LOCK_WAIT_MS, async () => {
      const account = assertApprover(await deps.accounts.find(claims.sub), claims.sub);
      const nowSeconds = Math.floor(now() / 1000);
      const entries = parseEntries(account.keyValues);
      const existing = entries.find((entry) => entry.kid === statement.kid);
      if (existing?.revokedAt !== undefined) {
        throw new HitlError(
          "ERR_KEY_REVOKED",
          `This browser's key was revoked at ${new Date(existing.revokedAt * 1000).toISOString()} and is never registered again. Make a new key in the extension and register that one.`,
        );
      }
      if (existing !== undefined && nowSeconds < existing.expiresAt) return { view: keyView(existing, now()), created: false };
      // Entries past their expiry (revoked or not) are dropped: verifiers answer ERR_KEY_EXPIRED for them no more usefully than "unknown".
      const kept = entries.filter((entry) => nowSeconds < entry.expiresAt && entry.kid !== statement.kid);
      if (kept.length >= keycloakRealm.MAX_KEYS_PER_USER) {
        throw new HitlError(
          "ERR_TOO_MANY_KEYS",
          `${account.username} already has ${keycloakRealm.MAX_KEYS_PER_USER} registered keys; revoke one (popup, or hitl keys revoke <kid>) and register again.`,
        );
      }
      const entry: KeyEntry = { kid: statement.kid, publicKey, createdAt: nowSeconds, expiresAt: nowSeconds + deps.keyLifetimeSeconds };
      await writeAndConfirm(deps, account, [...kept, entry], entry);
      return { view: keyView(entry, now()), created: true };
    });
    reply.code(created ? 201 : 200);
    return { key: view };
  });

  app.get("/v1/keys", async (request) => {
    const claims = await deps.tokens.verify(request.headers.authorization);
    assertExtensionToken(claims);
    const account = await deps.accounts.find(claims.sub);
    if (account === undefined) throw new HitlError("ERR_UNKNOWN_APPROVER", `No Keycloak user has the id "${claims.sub}".`);
    const keys: KeyView[] = parseEntries(account.keyValues).map((entry) => keyView(entry, now()));
    return { sub: account.id, username: account.username, keys };
  });

  app.delete<{ Params: { kid: string }; Querystring: { sub?: string } }>("/v1/keys/:kid", async (request) => {
    const claims = await deps.tokens.verify(request.headers.authorization);
    const target = revocationTarget(claims, request.query.sub);
    const kid = request.params.kid;
    if (!KID.test(kid)) throw new HitlError("ERR_MALFORMED", "The key id in the path must be 43 base64url characters.");
    const view = await withUserLock(deps.redis, deps.redisPrefix, target, LOCK_WAIT_MS, async () => {
      const account = await deps.accounts.find(target);
      if (account === undefined) throw new HitlError("ERR_UNKNOWN_APPROVER", `No Keycloak user has the id "${target}".`);
      const entries = parseEntries(account.keyValues);
      const entry = entries.find((candidate) => candidate.kid === kid);
      if (entry === undefined)
        throw new HitlError("ERR_UNKNOWN_KEY", `${account.username} has no registered key ${kid}; nothing to revoke.`);
      if (entry.revokedAt !== undefined) return keyView(entry, now());
      const revoked: KeyEntry = { ...entry, revokedAt: Math.max(Math.floor(now() / 1000), entry.createdAt) };
      await writeAndConfirm(
        deps,
        account,
        entries.map((candidate) => (candidate.kid === kid ? revoked : candidate)),
        revoked,
      );
      return keyView(revoked, now());
    });
    return { key: view };
  });
}

/** The account may register: it exists, is enabled, is a person and holds hitl-approver. */
function assertApprover(account: Account | undefined, sub: string): Account {
  if (account === undefined)
    throw new HitlError("ERR_UNKNOWN_APPROVER", `No Keycloak user has the id "${sub}"; sign in with an account of the hitl realm.`);
  if (!account.enabled)
    throw new HitlError("ERR_APPROVER_DISABLED", `The Keycloak account "${account.username}" is disabled; an admin can enable it.`);
  if (account.serviceAccount || !account.approver) {
    throw new HitlError(
      "ERR_NOT_AN_APPROVER",
      `The Keycloak account "${account.username}" does not have the realm role ${keycloakRealm.APPROVER_ROLE}; only its members may register keys. Ask an admin to grant it.`,
    );
  }
  return account;
}

/**
 * The owner (an extension token) revokes their own keys, at any login age: revoking only takes
 * power away, and a lost laptop must be revocable at once. An admin names the user with ?sub=
 * and holds realm-management manage-users in the token.
 */
function revocationTarget(claims: TokenClaims, sub: string | undefined): string {
  if (sub === undefined) {
    assertExtensionToken(claims);
    return claims.sub;
  }
  const adminRoles = claims.resource_access?.["realm-management"]?.roles ?? [];
  if (!adminRoles.includes("manage-users")) {
    throw new HitlError(
      "ERR_CALLER_NOT_ALLOWED",
      "Revoking another user's key needs a token with the realm-management role manage-users (a realm admin); to revoke your own key, leave out ?sub=.",
    );
  }
  if (!USER_ID.test(sub)) throw new HitlError("ERR_MALFORMED", "?sub= must be a Keycloak user id.");
  return sub;
}

/** PUT the new list, read it back: a write made meanwhile outside the lock (the admin console) is noticed, not overwritten silently. */
async function writeAndConfirm(deps: AppDeps, account: Account, entries: KeyEntry[], expected: KeyEntry): Promise<void> {
  const values = entries.map(formatKeyEntry);
  try {
    await deps.accounts.writeKeys(account, values);
  } finally {
    deps.directory.forget(account.id);
  }
  const after = await deps.accounts.find(account.id);
  if (after === undefined || !after.keyValues.includes(formatKeyEntry(expected))) {
    throw new HitlError(
      "ERR_KEY_WRITE_CONFLICT",
      `${account.username}'s keys changed while they were written; check them with GET /v1/keys and retry.`,
    );
  }
}
