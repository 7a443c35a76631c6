import { randomBytes } from "node:crypto";
import { encodeBase64url, HitlError, resolvePaths } from "@hitl/verifier";
import { openDefaultNonceStore } from "../../sdk/lib/open-stores.js";
import { type CheckResult, fail, pass } from "./check.js";

const NAME = "replay store";

/**
 * Exercise the store exactly as `hitl request` will: open it and consume a fresh random nonce
 * (which no receipt can carry, so nothing real is burnt). Proves the directory is writable or
 * Redis answers SET NX, rather than only that a path exists.
 */
export async function checkReplayStore(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const redisUrl = env.HITL_REDIS_URL;
  const where =
    redisUrl !== undefined && redisUrl.length > 0 ? `Redis (HITL_REDIS_URL)` : `embedded store in ${resolvePaths(env).nonceDir}`;
  try {
    const store = await openDefaultNonceStore(env);
    try {
      await store.consume(encodeBase64url(randomBytes(32)), Math.floor(Date.now() / 1000) + 60);
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return fail(NAME, `${where} does not work`, error.code, error.message);
  }
  return pass(NAME, `${where} accepts single-use nonces`);
}
