import type { Redis } from "ioredis";
import type { NonceStore } from "../contracts.js";
import { DEFAULT_SKEW_SECONDS } from "../lib/options.js";
import { redactUrl } from "../lib/redact-url.js";
import { HitlError } from "../protocol/errors.js";

export interface RedisNonceStoreOptions {
  /** Key prefix; default "hitl:nonce:". Lets several verifiers share one Redis without clashing. */
  prefix?: string;
  /** Any command slower than this fails the approval (closed). Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Added to the key's lifetime so a receipt accepted with clock skew is still remembered. Default 30. */
  skewSeconds?: number;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
}

const MIN_TTL_MS = 1000;

/**
 * Single-use nonces in Redis, shared by any number of verifiers: `SET <prefix><nonce> 1 NX PX
 * <ttl>` is atomic on the server, so exactly one SET per nonce succeeds. ioredis is imported on
 * first use only (~45 ms), and commands issued in the same tick share one round trip (auto
 * pipelining; still one SET NX per nonce). There is no offline queue and no resend after a
 * reconnect: while Redis is unreachable every consume fails at once, closed.
 */
export class RedisNonceStore implements NonceStore {
  readonly #redis: Redis;
  readonly #where: string;
  readonly #prefix: string;
  readonly #skewMs: number;
  readonly #clock: () => number;
  #lastError: Error | undefined;

  private constructor(redis: Redis, where: string, options: RedisNonceStoreOptions) {
    this.#redis = redis;
    this.#where = where;
    this.#prefix = options.prefix ?? "hitl:nonce:";
    this.#skewMs = (options.skewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000;
    this.#clock = options.clock ?? Date.now;
    // Without a listener ioredis prints "Unhandled error event"; the error is reported by consume.
    redis.on("error", (error: Error) => {
      this.#lastError = error;
    });
  }

  static async connect(url: string, options: RedisNonceStoreOptions = {}): Promise<RedisNonceStore> {
    const where = `Redis at ${redactUrl(url)}`;
    if (options.prefix !== undefined && (typeof options.prefix !== "string" || options.prefix.length > 256)) {
      throw new HitlError("ERR_CONFIG", "The Redis nonce prefix must be a string of at most 256 characters.");
    }
    const { Redis } = await import("ioredis");
    const connectTimeout = options.connectTimeoutMs ?? 2000;
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout,
      // Keep reconnecting in the background, so the store recovers when Redis comes back.
      retryStrategy: (attempt: number) => Math.min(100 * attempt, 2000),
    });
    const store = new RedisNonceStore(redis, where, options);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        redis.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeout} ms`)), connectTimeout);
        }),
      ]);
    } catch (error) {
      redis.disconnect();
      throw store.#unavailable(error);
    } finally {
      clearTimeout(timer);
    }
    return store;
  }

  async consume(nonce: string, expiresAt: number): Promise<void> {
    const ttl = Math.max(MIN_TTL_MS, Math.ceil(expiresAt * 1000 - this.#clock() + this.#skewMs));
    let reply: string | null;
    try {
      reply = await this.#redis.set(this.#prefix + nonce, "1", "PX", ttl, "NX");
    } catch (error) {
      throw this.#unavailable(error);
    }
    if (reply === "OK") return;
    if (reply === null) {
      throw new HitlError("ERR_REPLAYED", "This approval was already used (its nonce is consumed). Request a new approval for every action.");
    }
    throw this.#unavailable(new Error(`unexpected reply ${JSON.stringify(reply)}`));
  }

  async close(): Promise<void> {
    if (this.#redis.status === "ready") {
      await Promise.race([this.#redis.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    this.#redis.disconnect();
  }

  #unavailable(error: unknown): HitlError {
    const reason = error instanceof Error ? error.message : String(error);
    const last = this.#lastError !== undefined && this.#lastError.message !== reason ? `; last connection error: ${this.#lastError.message}` : "";
    return new HitlError(
      "ERR_NONCE_STORE_UNAVAILABLE",
      `The replay store (${this.#where}) is unavailable (${reason}${last}), so the approval is refused. Start Redis or fix HITL_REDIS_URL, then request a new approval.`,
      { cause: error },
    );
  }
}
