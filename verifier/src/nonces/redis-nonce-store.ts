import type { Redis } from "ioredis";
import type { NonceStore } from "../contracts.js";
import { DEFAULT_SKEW_SECONDS, MAX_SKEW_SECONDS } from "../lib/options.js";
import { redactUrl } from "../lib/redact-url.js";
import { HitlError } from "../protocol/errors.js";
import { checkConsumeArguments, firstAcceptanceMs, lastAcceptanceMs } from "./lib/retention.js";

export interface RedisNonceStoreOptions {
  /**
   * Key prefix; default "hitl:nonce:". Lets several verifiers share one Redis without clashing.
   * The store's epoch marker is `<prefix>~epoch` (never a nonce: `~` is not base64url).
   */
  prefix?: string;
  /** Any command slower than this fails the approval (closed). Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Default 2000 ms. */
  connectTimeoutMs?: number;
  /**
   * The largest clock skew any verifier sharing this Redis tolerates (default 30 s, at most 300);
   * a consume passing a larger one uses that. Sizes the key lifetime and the epoch check
   * (see lib/retention.ts).
   */
  skewSeconds?: number;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /**
   * Consumes issued together are sent as one script call of at most this many nonces (one round
   * trip, one reply); 1 = one script call per consume. Default 64. The script (EVALSHA) is
   * required: it checks the epoch marker and sets the nonce atomically.
   */
  batchSize?: number;
  /**
   * How long the first consume of a batch waits for others (default 1 ms; 0 = only those issued
   * before the event loop turns). Bounds the added latency of a single consume.
   */
  batchWindowMs?: number;
}

/**
 * KEYS[1] = the epoch marker, KEYS[2..] = nonces; ARGV[1] = now (ms, the calling verifier's
 * clock), ARGV[2] = the run_id of the redis-server process this connection reached, then per
 * nonce its TTL (ms) and the latest epoch start that still covers it (ms).
 *
 * The marker `<since>:<run_id>` says since when this server process has held every consumed
 * nonce. It is (re)started when missing (new store, restart without persistence, FLUSHALL,
 * eviction) and when it names another process: a restart from an older RDB snapshot or an AOF
 * that lost its last writes (appendfsync everysec/no and a crash), or a failover to a replica
 * that missed the last writes, all keep a marker yet may have lost nonces.
 * Reply: the marker, then per nonce 1 = consumed now, 0 = already used, 2 = not recorded: the
 * epoch starts after this receipt could first have been used.
 */
const CONSUME_SCRIPT = `local mark = redis.call('GET', KEYS[1])
local start = nil
if mark then
  local since, run = string.match(mark, '^(%d+):(%x+)$')
  if run == ARGV[2] then start = tonumber(since) end
end
if start == nil then
  mark = ARGV[1] .. ':' .. ARGV[2]
  redis.call('SET', KEYS[1], mark)
  start = tonumber(ARGV[1])
end
local out = { mark }
for i = 2, #KEYS do
  if start <= tonumber(ARGV[2 * i]) then
    if redis.call('SET', KEYS[i], '1', 'NX', 'PX', ARGV[2 * i - 1]) then out[i] = 1 else out[i] = 0 end
  elseif redis.call('EXISTS', KEYS[i]) == 1 then out[i] = 0
  else out[i] = 2 end
end
return out`;

const CONSUMED = 1;
const ALREADY_USED = 0;
const BEFORE_EPOCH = 2;

interface PendingConsume {
  key: string;
  ttl: number;
  /** The latest epoch start (ms) at which the store has certainly seen every use of this nonce. */
  coveredSince: number;
  issuedAt: number;
  resolve: () => void;
  reject: (error: HitlError) => void;
}

/** What `hitl doctor` needs to judge whether consumed nonces survive a restart and memory pressure. */
export interface RedisDurability {
  /** "yes"/"no"/undefined (unknown: INFO persistence unavailable). */
  appendOnly: boolean | undefined;
  /** appendfsync ("always", "everysec", "no"), undefined when CONFIG is disabled or renamed. */
  appendFsync: string | undefined;
  /** The `save` rule ("" = no RDB snapshots), undefined when CONFIG is disabled or renamed. */
  save: string | undefined;
  /** Bytes; 0 = no limit (nothing is ever evicted). Undefined when unknown. */
  maxMemory: number | undefined;
  /** e.g. "noeviction", "volatile-lru"; undefined when unknown. */
  maxMemoryPolicy: string | undefined;
}

type ScriptedRedis = Redis & { hitlConsumeNonces(numKeys: number, ...args: (string | number)[]): Promise<unknown> };

const MIN_TTL_MS = 1000;
/** Opening and ready(): nothing is being verified yet (the SDK runs both before it asks anyone). */
const BEFORE_ASKING = "so no approval can be recorded";
/** ready() gives up on a Redis that does not answer after this long (a frozen or unreachable server). */
const READY_TIMEOUT_MS = 1000;
const NOT_WRITTEN = "Stream isn't writeable";

/**
 * Single-use nonces in Redis, shared by any number of verifiers: one Lua script checks the
 * store's epoch marker and runs `SET <prefix><nonce> 1 NX PX <ttl>`, atomically on the server,
 * so exactly one consume per nonce succeeds, and none succeeds for a receipt the store may have
 * forgotten (restart, failover, flush: ERR_NONCE_STORE_RESET). ioredis is imported on first use
 * only (~45 ms). Consumes issued within batchWindowMs (1 ms) of each other share one script call
 * and return one result per nonce, so a busy verifier pays the per-command costs once per batch
 * instead of once per receipt (measured on 2 vCPUs: ~9 us of client CPU per ioredis command and
 * 8-10 us of server CPU per receipt in tiny batches, against ~1 us and ~2.5 us per nonce in
 * batches of 64).
 * There is no offline queue, no retry and no resend after a reconnect: a consume is written to
 * the socket once or not at all. Not written (not connected) or refused by Redis as a whole:
 * ERR_NONCE_STORE_UNAVAILABLE, nothing recorded. Written but unanswered in commandTimeoutMs, or
 * the connection lost while waiting: ERR_NONCE_MAYBE_CONSUMED (the write may land later).
 * Needs: a standalone Redis reached directly (run_id must be that of the server holding the
 * keys), scripting (EVALSHA) and INFO allowed, and `maxmemory-policy noeviction` whenever
 * maxmemory is set (an evicted nonce is forgotten without a trace; `hitl doctor` warns).
 */
export class RedisNonceStore implements NonceStore {
  readonly #redis: ScriptedRedis;
  readonly #where: string;
  readonly #prefix: string;
  readonly #epochKey: string;
  readonly #skewSeconds: number;
  readonly #clock: () => number;
  readonly #batchSize: number;
  readonly #batchWindowMs: number;
  #queue: PendingConsume[] = [];
  #flushTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #lastError: Error | undefined;
  /** run_id of the server on the current connection; undefined until known (no consume is sent). */
  #runId: string | undefined;
  #connection = 0;
  #learning: Promise<void> | undefined;

  private constructor(redis: Redis, where: string, options: RedisNonceStoreOptions) {
    redis.defineCommand("hitlConsumeNonces", { lua: CONSUME_SCRIPT });
    this.#redis = redis as ScriptedRedis;
    this.#batchSize = options.batchSize ?? 64;
    this.#batchWindowMs = options.batchWindowMs ?? 1;
    this.#where = where;
    this.#prefix = options.prefix ?? "hitl:nonce:";
    this.#epochKey = `${this.#prefix}~epoch`;
    this.#skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
    this.#clock = options.clock ?? Date.now;
    // Without a listener ioredis prints "Unhandled error event"; the error is reported by consume.
    redis.on("error", (error: Error) => {
      this.#lastError = error;
    });
    // A reconnect may reach another server process (restarted, or a promoted replica): its run_id
    // is learnt again before any consume is sent on the new connection.
    redis.on("close", () => {
      this.#connection++;
      this.#runId = undefined;
    });
    redis.on("ready", () => {
      this.#learnRunId().catch(() => undefined);
    });
  }

  /** One INFO at a time; a failed one is tried again by the next consume (which fails meanwhile). */
  #learnRunId(): Promise<void> {
    this.#learning ??= this.#readRunId().finally(() => {
      this.#learning = undefined;
    });
    return this.#learning;
  }

  async #readRunId(): Promise<void> {
    const connection = this.#connection;
    const info = parseInfo(await this.#redis.info("server"));
    const runId = info.get("run_id");
    if (runId === undefined || !/^[0-9a-f]{40}$/.test(runId)) throw new Error("INFO server has no run_id");
    if (connection === this.#connection) this.#runId = runId;
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
    const skew = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
    if (!Number.isFinite(skew) || skew < 0 || skew > MAX_SKEW_SECONDS) {
      throw new HitlError("ERR_CONFIG", `The Redis nonce store's skewSeconds must be from 0 to ${MAX_SKEW_SECONDS}.`);
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
      // disconnect() waits this long for the socket's close before destroying it; a socket that
      // never connected is already closed, so the wait only kept a process that reports a refused
      // connection alive for 2 s more. close() has sent QUIT (or given up on it) before.
      disconnectTimeout: 0,
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
      await store.#learnRunId();
    } catch (error) {
      redis.disconnect();
      // ioredis rejects connect() with "Connection is closed."; the socket's own error says why.
      throw store.#unavailable(store.#lastError ?? error, BEFORE_ASKING);
    } finally {
      clearTimeout(timer);
    }
    return store;
  }

  /**
   * The key lives until the last moment any verifier within the skew could accept the receipt
   * (`exp + 3·skew` on this clock, lib/retention.ts), counted by Redis from when it is set, so
   * Redis's own clock offset does not matter. The nonce is recorded only if the store's epoch
   * began before the first moment any verifier could have accepted the receipt; otherwise
   * ERR_NONCE_STORE_RESET (unless the nonce is there: ERR_REPLAYED).
   */
  consume(nonce: string, expiresAt: number, issuedAt: number, skewSeconds: number = this.#skewSeconds): Promise<void> {
    try {
      checkConsumeArguments(nonce, expiresAt, issuedAt, skewSeconds);
    } catch (error) {
      return Promise.reject(error);
    }
    const skew = Math.max(skewSeconds, this.#skewSeconds);
    const ttl = Math.max(MIN_TTL_MS, lastAcceptanceMs(expiresAt, skew) - this.#clock());
    const coveredSince = firstAcceptanceMs(issuedAt, skew);
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ key: this.#prefix + nonce, ttl, coveredSince, issuedAt, resolve, reject });
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
    // Not connected: nothing is sent, so nothing can land later (no offline queue, no resend).
    const runId = this.#runId;
    if (this.#redis.status !== "ready" || runId === undefined) {
      if (this.#redis.status === "ready") this.#learnRunId().catch(() => undefined);
      const state = this.#redis.status === "ready" ? "connected, server identity (INFO server run_id) not known yet" : this.#redis.status;
      const failure = this.#unavailable(new Error(`connection ${state}`));
      for (const p of batch) p.reject(failure);
      return;
    }
    this.#script(batch, Math.floor(this.#clock()), runId).then(
      ({ mark, outcomes }) => {
        for (let i = 0; i < batch.length; i++) this.#settle(batch[i]!, outcomes[i], mark);
      },
      (error: unknown) => {
        const failure = this.#failed(error);
        for (const p of batch) p.reject(failure);
      },
    );
  }

  async #script(batch: PendingConsume[], now: number, runId: string): Promise<{ mark: unknown; outcomes: unknown[] }> {
    const args: (string | number)[] = [this.#epochKey];
    for (const p of batch) args.push(p.key);
    args.push(now, runId);
    for (const p of batch) args.push(p.ttl, p.coveredSince);
    const reply = await this.#redis.hitlConsumeNonces(batch.length + 1, ...args);
    if (!Array.isArray(reply) || reply.length !== batch.length + 1) {
      throw new UncertainReply(`unexpected reply to the consume script: ${JSON.stringify(reply)?.slice(0, 100)}`);
    }
    return { mark: reply[0], outcomes: reply.slice(1) };
  }

  #settle(pending: PendingConsume, outcome: unknown, mark: unknown): void {
    if (outcome === CONSUMED) pending.resolve();
    else if (outcome === ALREADY_USED) {
      pending.reject(
        new HitlError("ERR_REPLAYED", "This approval was already used (its nonce is consumed). Request a new approval for every action."),
      );
    } else if (outcome === BEFORE_EPOCH) pending.reject(this.#reset(pending, mark));
    else pending.reject(this.#failed(new UncertainReply(`unexpected reply ${JSON.stringify(outcome)}`)));
  }

  /**
   * Resolves when Redis answers on the current connection and its server identity is known (what
   * a consume needs); writes nothing. ERR_NONCE_STORE_UNAVAILABLE otherwise: at once when not
   * connected, after READY_TIMEOUT_MS when Redis does not answer.
   */
  async ready(): Promise<void> {
    if (this.#redis.status !== "ready") throw this.#unavailable(new Error(`connection ${this.#redis.status}`), BEFORE_ASKING);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#runId === undefined ? this.#learnRunId() : this.#redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      throw this.#unavailable(error, BEFORE_ASKING);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Persistence and eviction settings, for `hitl doctor`. INFO first (it works where CONFIG is
   * disabled or renamed, as managed services often do); CONFIG GET only for what INFO lacks.
   */
  async durability(): Promise<RedisDurability> {
    const info = await this.#redis
      .info()
      .then((text) => parseInfo(text))
      .catch(() => new Map<string, string>());
    const config = async (name: string): Promise<string | undefined> => {
      try {
        const reply = await this.#redis.config("GET", name);
        return Array.isArray(reply) && reply.length === 2 && typeof reply[1] === "string" ? reply[1] : undefined;
      } catch {
        return undefined;
      }
    };
    const aof = info.get("aof_enabled");
    const maxMemory = info.get("maxmemory") ?? (await config("maxmemory"));
    return {
      appendOnly: aof === "1" ? true : aof === "0" ? false : undefined,
      appendFsync: await config("appendfsync"),
      save: await config("save"),
      maxMemory: maxMemory === undefined ? undefined : Number(maxMemory),
      maxMemoryPolicy: info.get("maxmemory_policy") ?? (await config("maxmemory-policy")),
    };
  }

  async close(): Promise<void> {
    this.#send(); // consumes still waiting for their batch get their answer (or fail closed)
    if (this.#redis.status === "ready") {
      await Promise.race([this.#redis.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
    this.#redis.disconnect();
  }

  /**
   * Not consumed: the command was never written (ioredis refuses to write on a socket that is not
   * writable; nothing is queued or resent), or Redis answered with an error for the whole command
   * (OOM under noeviction, NOAUTH, READONLY, a script error: the script can fail only before its
   * first nonce SET), or refused the transaction. Anything else after the write (timeout,
   * connection lost while waiting, a surprising reply) may still have set the nonce.
   */
  #failed(error: unknown): HitlError {
    if (error instanceof HitlError) return error;
    const name = error instanceof Error ? error.name : "";
    const reason = error instanceof Error ? error.message : String(error);
    if (name === "ReplyError" || error instanceof NotExecuted || reason.startsWith(NOT_WRITTEN)) return this.#unavailable(error);
    return new HitlError(
      "ERR_NONCE_MAYBE_CONSUMED",
      `The replay store (${this.#where}) did not confirm the nonce (${reason}) after the request was sent, so the approval is refused; the nonce may be consumed all the same. Do not proceed. Presenting this receipt again may give ERR_REPLAYED because of this attempt; request a new approval instead.`,
      { cause: error },
    );
  }

  #reset(pending: PendingConsume, mark: unknown): HitlError {
    const start = typeof mark === "string" ? Number(mark.slice(0, mark.indexOf(":"))) : Number.NaN;
    const issued = new Date(Math.floor(pending.issuedAt) * 1000).toISOString();
    if (!Number.isFinite(start)) {
      return new HitlError(
        "ERR_NONCE_STORE_RESET",
        `The replay store (${this.#where}) has an unreadable epoch marker (${JSON.stringify(mark)?.slice(0, 60)}), so this approval, issued ${issued}, is refused. Request a new approval.`,
      );
    }
    // Approvals issued this long after the epoch began are covered (lib/retention.ts).
    const coveredFrom = Math.ceil((start + pending.issuedAt * 1000 - pending.coveredSince) / 1000) * 1000;
    return new HitlError(
      "ERR_NONCE_STORE_RESET",
      `The replay store (${this.#where}) holds consumed nonces only since ${new Date(start).toISOString()} (it restarted, failed over, was flushed, or is new), and this approval, issued ${issued}, could have been used before that, so it is refused. Request a new approval; approvals issued from ${new Date(coveredFrom).toISOString()} on are accepted.`,
    );
  }

  /** `consequence`: what it means for the caller (a consume refuses the approval it was checking). */
  #unavailable(error: unknown, consequence = "so the approval is refused"): HitlError {
    const reason = error instanceof Error ? error.message : String(error);
    const last =
      this.#lastError !== undefined && this.#lastError.message !== reason ? `; last connection error: ${this.#lastError.message}` : "";
    return new HitlError(
      "ERR_NONCE_STORE_UNAVAILABLE",
      `The replay store (${this.#where}) is unavailable (${reason}${last}), ${consequence}. Start Redis or fix HITL_REDIS_URL, then request a new approval.`,
      { cause: error },
    );
  }
}

/** Redis ran (part of) the request but the reply is not the expected one: the outcome is unknown. */
class UncertainReply extends Error {
  override name = "UncertainReply";
}

/** Redis refused the request as a whole: nothing ran. */
class NotExecuted extends Error {
  override name = "NotExecuted";
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}
