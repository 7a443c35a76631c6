import { createRequire } from "node:module";
import type { FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { HitlError } from "@hitl/verifier";
import type { Redis } from "ioredis";

/*
 * The rate limiter's counters live in the shared Redis (one limit across every server process).
 * @fastify/rate-limit's own Redis store passes a failed command on as the raw ioredis error, which
 * says nothing a client can act on; this store wraps it and turns any failure into
 * ERR_NONCE_STORE_UNAVAILABLE at its source, whatever state the connection reports at that moment
 * (a command can fail while ioredis still says "ready"). The plugin is configured with
 * skipOnError: false, so the request is refused: closed, never skipped.
 */

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;
/** The plugin's store contract as its code calls it (its typings omit the window and the maximum). */
interface PluginStore {
  incr(key: string, callback: Callback, timeWindow?: number, max?: number): void;
  child(routeOptions: unknown): PluginStore;
}
type PluginRedisStore = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, nameSpace: string) => PluginStore;

function redisUnavailable(cause: unknown): HitlError {
  return new HitlError(
    "ERR_NONCE_STORE_UNAVAILABLE",
    "The shared Redis is unavailable; nothing was accepted. Check Redis (GET /v1/health), then retry.",
    { cause },
  );
}

function failClosed(inner: PluginStore): PluginStore {
  return {
    incr: (key, callback, timeWindow, max) =>
      inner.incr(key, (error, result) => (error === null ? callback(null, result) : callback(redisUnavailable(error))), timeWindow, max),
    child: (routeOptions) => failClosed(inner.child(routeOptions)),
  };
}

interface StoreParams {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}

/** The `store` option for @fastify/rate-limit: its own Redis store on `redis` under `nameSpace`, failing closed with a code. */
export function rateLimitStore(redis: Redis, nameSpace: string): FastifyRateLimitStoreCtor {
  // The plugin's own store (CommonJS, no exports map), so the counting script stays the plugin's.
  const RedisStore = createRequire(import.meta.url)("@fastify/rate-limit/store/RedisStore.js") as PluginRedisStore;
  return class implements PluginStore {
    readonly incr: PluginStore["incr"];
    readonly child: PluginStore["child"];
    constructor(params: StoreParams) {
      const store = failClosed(new RedisStore(params.continueExceeding === true, params.exponentialBackoff === true, redis, nameSpace));
      this.incr = store.incr;
      this.child = store.child;
    }
  };
}
