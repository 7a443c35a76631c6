import { HitlError } from "@hitl/verifier";
import type { Redis } from "ioredis";

/** Deletes the lock only if it still holds our token (a lock that expired and was taken by another writer stays). */
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/** Longest a writer may hold a user's lock: longer than one Keycloak read + write within their timeouts. */
const HOLD_MS = 15_000;

/**
 * Keycloak has no compare-and-set on attributes, so every server instance serializes its
 * read-modify-write of one user's hitl_keys through a lock in the shared Redis
 * (`<prefix>lock:<sub>`, SET NX PX with a random token). A writer that cannot get it within
 * waitMs gives up with ERR_KEY_WRITE_CONFLICT (retry). Writes made in the Keycloak console
 * bypass the lock; the caller re-reads after writing to notice them.
 */
export async function withUserLock<T>(redis: Redis, prefix: string, sub: string, waitMs: number, work: () => Promise<T>): Promise<T> {
  const key = `${prefix}lock:${sub}`;
  const token = crypto.randomUUID();
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    let taken: string | null;
    try {
      taken = await redis.set(key, token, "PX", HOLD_MS, "NX");
    } catch (error) {
      throw new HitlError(
        "ERR_NONCE_STORE_UNAVAILABLE",
        "The shared Redis cannot be reached; nothing was written. Check HITL_REDIS_URL and Redis, then retry.",
        {
          cause: error,
        },
      );
    }
    if (taken === "OK") break;
    if (Date.now() >= deadline) {
      throw new HitlError(
        "ERR_KEY_WRITE_CONFLICT",
        "Another change to this account's keys is in progress; nothing was written. Retry in a moment.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(25 * 2 ** Math.min(attempt, 4), 200)));
  }
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined); // it expires by itself otherwise
  }
}
