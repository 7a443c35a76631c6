import type { NonceStore } from "../contracts.js";
import { FileNonceStore } from "./file-nonce-store.js";
import { RedisNonceStore, type RedisNonceStoreOptions } from "./redis-nonce-store.js";

export interface OpenNonceStoreOptions {
  /** When set (e.g. from HITL_REDIS_URL), Redis; never a silent fallback to the file store. */
  redisUrl?: string | undefined;
  /** Directory of the embedded store (resolvePaths().nonceDir). */
  dir: string;
  redis?: RedisNonceStoreOptions;
}

/**
 * The configured nonce store. A Redis URL that cannot be reached throws
 * ERR_NONCE_STORE_UNAVAILABLE: falling back to the local store would let the same approval be
 * replayed on another machine that shares the Redis.
 */
export async function openNonceStore(options: OpenNonceStoreOptions): Promise<NonceStore> {
  if (options.redisUrl !== undefined && options.redisUrl.length > 0) {
    return RedisNonceStore.connect(options.redisUrl, options.redis);
  }
  return new FileNonceStore(options.dir);
}
