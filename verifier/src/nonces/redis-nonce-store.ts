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
  /**
   * Consumes issued together are sent as one script call of at most this many SETs (one round
   * trip, one reply); 1 sends plain SET commands only (for a Redis where scripting is disabled).
   * Default 64.
   */
  batchSize?: number;
  /**
   * How long the first consume of a batch waits for others (default 1 ms; 0 = only those issued
   * before the event loop turns). Bounds the added latency of a single consume.
   */
  batchWindowMs?: number;
}

/** One `SET key 1 NX PX ttl` per key, in one round trip; 1 = consumed now, 0 = already used. */
const CONSUME_SCRIPT = `local used = {}
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[i]) then used[i] = 1 else used[i] = 0 end
end
return used`;

interface PendingConsume {
  key: string;
  ttl: number;
  resolve: () => void;
  reject: (error: HitlError) => void;
}

type ScriptedRedis = Redis & { hitlConsumeNonces(numKeys: number, ...args: (string | number)[]): Promise<unknown> };

const MIN_TTL_MS = 1000;

/**
 * Single-use nonces in Redis, shared by any number of verifiers: `SET <prefix><nonce> 1 NX PX
 * <ttl>` is atomic on the server, so exactly one SET per nonce succeeds. ioredis is imported on
 * first use only (~45 ms). Consumes issued within batchWindowMs (1 ms) of each other are sent
 * together: a small Lua script runs that same SET NX PX once per nonce and returns one result
 * per nonce, so a busy verifier pays the per-command costs once per batch instead of once per
 * receipt (measured on 2 vCPUs: ~9 us of client CPU per ioredis command and 8-10 us of server
 * CPU per receipt in tiny batches, against ~1 us and ~2.5 us per nonce in batches of 64).
 * There is no offline queue and no resend after a reconnect: while Redis is unreachable every
 * consume fails at once, closed.
 */
export class RedisNonceStore implements NonceStore {
  readonly #redis: ScriptedRedis;
  readonly #where: string;
  readonly #prefix: string;
  readonly #skewMs: number;
  readonly #clock: () => number;
  readonly #batchSize: number;
  readonly #batchWindowMs: number;
  #queue: PendingConsume[] = [];
  #flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #lastError: Error | undefined;

  private constructor(redis: Redis, where: string, options: RedisNonceStoreOptions) {
    redis.defineCommand("hitlConsumeNonces", { lua: CONSUME_SCRIPT });
    this.#redis = redis as ScriptedRedis;
    this.#batchSize = options.batchSize ?? 64;
    this.#batchWindowMs = options.batchWindowMs ?? 1;
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
    const batchSize = options.batchSize ?? 64;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 1000) {
      throw new HitlError("ERR_CONFIG", "The Redis nonce batch size must be an integer from 1 to 1000.");
    }
    const batchWindowMs = options.batchWindowMs ?? 1;
    if (!Number.isFinite(batchWindowMs) || batchWindowMs < 0 || batchWindowMs > 100) {
      throw new HitlError("ERR_CONFIG", "The Redis nonce batch window must be from 0 to 100 ms.");
    }
    const { Redis } = await import("ioredis");
    const connectTimeout = options.connectTimeoutMs ?? 2000;
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
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

  consume(nonce: string, expiresAt: number): Promise<void> {
    const ttl = Math.max(MIN_TTL_MS, Math.ceil(expiresAt * 1000 - this.#clock() + this.#skewMs));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ key: this.#prefix + nonce, ttl, resolve, reject });
      if (this.#queue.length >= this.#batchSize) this.#send();
      else if (this.#flushTimer === undefined) {
        // The first consume of a batch waits at most batchWindowMs for others to share its
        // round trip: a busy verifier then pays Redis's per-command costs once per batch.
        this.#flushTimer = this.#batchWindowMs > 0 ? setTimeout(this.#flush, this.#batchWindowMs) : setImmediate(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    this.#flushTimer = undefined;
    this.#send();
  };

  #send(): void {
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer as NodeJS.Timeout);
      clearImmediate(this.#flushTimer as NodeJS.Immediate);
      this.#flushTimer = undefined;
    }
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const reply = batch.length === 1 ? this.#setOne(batch[0]!) : this.#setMany(batch);
    reply.then(
      (outcomes) => {
        for (let i = 0; i < batch.length; i++) this.#settle(batch[i]!, outcomes[i]);
      },
      (error: unknown) => {
        const failure = this.#unavailable(error);
        for (const p of batch) p.reject(failure);
      },
    );
  }

  async #setOne(only: PendingConsume): Promise<unknown[]> {
    const reply = await this.#redis.set(only.key, "1", "PX", only.ttl, "NX");
    return [reply === "OK" ? 1 : reply === null ? 0 : reply];
  }

  async #setMany(batch: PendingConsume[]): Promise<unknown[]> {
    const args: (string | number)[] = batch.map((p) => p.key);
    for (const p of batch) args.push(p.ttl);
    const reply = await this.#redis.hitlConsumeNonces(batch.length, ...args);
    if (!Array.isArray(reply) || reply.length !== batch.length) {
      throw new Error(`unexpected reply to the consume script: ${JSON.stringify(reply)?.slice(0, 100)}`);
    }
    return reply;
  }

  #settle(pending: PendingConsume, outcome: unknown): void {
    if (outcome === 1) pending.resolve();
    else if (outcome === 0) {
      pending.reject(
        new HitlError("ERR_REPLAYED", "This approval was already used (its nonce is consumed). Request a new approval for every action."),
      );
    } else pending.reject(this.#unavailable(new Error(`unexpected reply ${JSON.stringify(outcome)}`)));
  }

  async close(): Promise<void> {
    this.#send(); // consumes still waiting for their batch get their answer (or fail closed)
    if (this.#redis.status === "ready") {
      await Promise.race([this.#redis.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    this.#redis.disconnect();
  }

  #unavailable(error: unknown): HitlError {
    const reason = error instanceof Error ? error.message : String(error);
    const last =
      this.#lastError !== undefined && this.#lastError.message !== reason ? `; last connection error: ${this.#lastError.message}` : "";
    return new HitlError(
      "ERR_NONCE_STORE_UNAVAILABLE",
      `The replay store (${this.#where}) is unavailable (${reason}${last}), so the approval is refused. Start Redis or fix HITL_REDIS_URL, then request a new approval.`,
      { cause: error },
    );
  }
}
