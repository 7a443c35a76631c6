import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { FileNonceStore } from "../src/nonces/file-nonce-store.js";
import { openNonceStore } from "../src/nonces/open-nonce-store.js";
import { RedisNonceStore } from "../src/nonces/redis-nonce-store.js";
import { makeApprover, makeChallenge, nowSeconds, signReceipt, wire } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { type RedisServer, startRedisServer, untilDisconnected } from "./helpers/redis-server.js";

const nonce = () => randomBytes(32).toString("base64url");
const REPLAYED = {
  code: "ERR_REPLAYED",
  message: "This approval was already used (its nonce is consumed). Request a new approval for every action.",
};

/** The write was sent; its outcome is unknown. */
function maybeConsumed(reason: string) {
  return {
    code: "ERR_NONCE_MAYBE_CONSUMED",
    message: expect.stringMatching(
      new RegExp(
        `^The replay store \\(Redis at redis://127\\.0\\.0\\.1:\\d+\\) did not confirm the nonce \\(${reason}\\) after the request was sent, so the approval is refused; the nonce may be consumed all the same\\. Do not proceed\\. Presenting this receipt again may give ERR_REPLAYED because of this attempt; request a new approval instead\\.$`,
      ),
    ),
  };
}

let redis: RedisServer;
let inspect: Redis;
const open: RedisNonceStore[] = [];

async function connect(url = redis.url, options: Parameters<typeof RedisNonceStore.connect>[1] = {}): Promise<RedisNonceStore> {
  const store = await RedisNonceStore.connect(url, options);
  open.push(store);
  return store;
}

/**
 * A store in steady state: its epoch marker says it has been keeping nonces for two hours (longer
 * than any challenge lives), as a Redis in service would. Fresh and restarted stores are tested in
 * "single use under faults".
 */
async function inService(url: string, prefix = "hitl:nonce:"): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  const runId = /run_id:([0-9a-f]{40})/.exec(await client.info("server"))?.[1];
  await client.set(`${prefix}~epoch`, `${Date.now() - 7_200_000}:${runId}`);
  await client.quit();
}

beforeAll(async () => {
  redis = await startRedisServer();
  inspect = new Redis(redis.url, { lazyConnect: true });
  await inspect.connect();
  await inService(redis.url);
  await inService(redis.url, "test:prefix:");
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  inspect.disconnect();
  await redis.stop();
});

describe("RedisNonceStore against a real redis-server", () => {
  it("consumes a nonce once; the second consume is ERR_REPLAYED", async () => {
    const store = await connect();
    const n = nonce();
    await store.consume(n, nowSeconds() + 60, nowSeconds());
    await expect(store.consume(n, nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(REPLAYED);
  });

  it("stores `<prefix><nonce>` = 1 with a TTL of (exp + 3·skew + 1 s - now), at least 1 s", async () => {
    const store = await connect(redis.url, { prefix: "test:prefix:", skewSeconds: 30 });
    const n = nonce();
    await store.consume(n, nowSeconds() + 60, nowSeconds());
    expect(await inspect.get(`test:prefix:${n}`)).toBe("1");
    const ttl = await inspect.pttl(`test:prefix:${n}`);
    expect(ttl).toBeGreaterThan(145_000);
    expect(ttl).toBeLessThanOrEqual(151_000);
    // A verifier tolerating more skew than the store's default widens it.
    const wide = nonce();
    await store.consume(wide, nowSeconds() + 60, nowSeconds(), 100);
    expect(await inspect.pttl(`test:prefix:${wide}`)).toBeGreaterThan(355_000);
    const late = nonce();
    await store.consume(late, nowSeconds() - 3600, nowSeconds() - 3660);
    const lateTtl = await inspect.pttl(`test:prefix:${late}`);
    expect(lateTtl).toBeGreaterThan(0);
    expect(lateTtl).toBeLessThanOrEqual(1000);
    expect(await inspect.exists(`hitl:nonce:${n}`)).toBe(0);
  });

  it("uses the default prefix hitl:nonce:, shared by every store on the same Redis", async () => {
    const a = await connect();
    const b = await connect();
    const n = nonce();
    await a.consume(n, nowSeconds() + 60, nowSeconds());
    expect(await inspect.get(`hitl:nonce:${n}`)).toBe("1");
    await expect(b.consume(n, nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(REPLAYED);
  });

  it.each([1, 16])("with batchSize %i: 300 concurrent consumes, each nonce succeeds exactly once", async (batchSize) => {
    const store = await connect(redis.url, { batchSize });
    const nonces = Array.from({ length: 200 }, nonce);
    const attempts = [...nonces, ...nonces.slice(0, 100)].sort(() => Math.random() - 0.5);
    const results = await Promise.allSettled(attempts.map((n) => store.consume(n, nowSeconds() + 60, nowSeconds())));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const replayed = results.filter((r) => r.status === "rejected" && (r.reason as { code?: string }).code === "ERR_REPLAYED").length;
    expect({ ok, replayed }).toEqual({ ok: 200, replayed: 100 });
    for (const n of nonces) expect(await inspect.get(`hitl:nonce:${n}`)).toBe("1");
  });

  it("batchWindowMs 0 and 20: consumes issued together share a round trip, a lone one still gets its answer", async () => {
    for (const batchWindowMs of [0, 20]) {
      const store = await connect(redis.url, { batchWindowMs });
      const started = Date.now();
      await store.consume(nonce(), nowSeconds() + 60, nowSeconds());
      expect(Date.now() - started).toBeLessThan(1000);
      const together = Array.from({ length: 10 }, nonce);
      await Promise.all(together.map((n) => store.consume(n, nowSeconds() + 60, nowSeconds())));
      for (const n of together) await expect(store.consume(n, nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(REPLAYED);
    }
  });

  it("close() sends the consumes still waiting for their batch", async () => {
    const store = await RedisNonceStore.connect(redis.url, { batchWindowMs: 50 });
    const n = nonce();
    const pending = store.consume(n, nowSeconds() + 60, nowSeconds());
    await store.close();
    await expect(pending).resolves.toBeUndefined();
    expect(await inspect.get(`hitl:nonce:${n}`)).toBe("1");
  });

  it("refuses meaningless consume arguments (ERR_USAGE) before sending anything", async () => {
    const store = await connect();
    const now = nowSeconds();
    await expect(store.consume("~epoch", now + 60, now)).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: "NonceStore.consume: the nonce must be 16 to 256 base64url characters.",
    });
    await expect(store.consume(nonce(), now + 60, Number.POSITIVE_INFINITY)).rejects.toMatchObject({ code: "ERR_USAGE" });
    await expect(store.consume(nonce(), now + 60, now, -1)).rejects.toMatchObject({ code: "ERR_USAGE" });
    await expect(RedisNonceStore.connect(redis.url, { skewSeconds: 301 })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: "The Redis nonce store's skewSeconds must be from 0 to 300.",
    });
  });

  it("refuses a bad prefix or batch size", async () => {
    await expect(RedisNonceStore.connect(redis.url, { batchSize: 0 })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: "The Redis nonce batch size must be an integer from 1 to 1000.",
    });
    await expect(RedisNonceStore.connect(redis.url, { batchWindowMs: -1 })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: "The Redis nonce batch window must be from 0 to 100 ms.",
    });
    await expect(RedisNonceStore.connect(redis.url, { prefix: "x".repeat(300) })).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: "The Redis nonce prefix must be a string of at most 256 characters.",
    });
  });
});

describe("fail closed", () => {
  it("nobody listening: connect throws ERR_NONCE_STORE_UNAVAILABLE naming the URL and what to do", async () => {
    const server = await startRedisServer();
    const url = server.url;
    await server.stop();
    const started = Date.now();
    await expect(RedisNonceStore.connect(url)).rejects.toMatchObject({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: expect.stringMatching(
        new RegExp(
          `^The replay store \\(Redis at ${url}\\) is unavailable \\(.*ECONNREFUSED.*\\), so no approval can be recorded\\. Start Redis or fix HITL_REDIS_URL, then request a new approval\\.$`,
        ),
      ),
    });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("a server that never answers: connect times out", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      await expect(RedisNonceStore.connect(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 300 })).rejects.toMatchObject({
        code: "ERR_NONCE_STORE_UNAVAILABLE",
        message: expect.stringMatching(
          /^The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) is unavailable \(.+\), so no approval can be recorded\./,
        ),
      });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("Redis stopped mid-test: consume is ERR_NONCE_STORE_UNAVAILABLE (password never shown); it recovers when Redis is back", async () => {
    const server = await startRedisServer(["--requirepass", "s3cret-pw"]);
    const url = `redis://:s3cret-pw@127.0.0.1:${server.port}/0`;
    try {
      await inService(url);
      const store = await connect(url);
      await store.consume(nonce(), nowSeconds() + 60, nowSeconds());
      await server.stop();
      await untilDisconnected(store);
      const failure = await store.consume(nonce(), nowSeconds() + 60, nowSeconds()).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({
        code: "ERR_NONCE_STORE_UNAVAILABLE",
        message: expect.stringMatching(
          new RegExp(
            `^The replay store \\(Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0\\) is unavailable \\(.+\\), so the approval is refused\\. Start Redis or fix HITL_REDIS_URL, then request a new approval\\.$`,
          ),
        ),
      });
      expect((failure as Error).message).not.toContain("s3cret-pw");

      const restarted = await startRedisServer(["--requirepass", "s3cret-pw"], server.port);
      try {
        // The restarted Redis remembers nothing: a receipt issued now could have been used
        // before the restart (ERR_NONCE_STORE_RESET); one issued 3·skew + 1 s later works.
        const n = nonce();
        let answer: unknown;
        for (let i = 0; i < 60 && answer === undefined; i++) {
          answer = await store.consume(n, nowSeconds() + 60, nowSeconds()).then(
            () => "consumed",
            (error: { code?: string }) => (error.code === "ERR_NONCE_STORE_UNAVAILABLE" ? undefined : error),
          );
          if (answer === undefined) await new Promise((r) => setTimeout(r, 100));
        }
        expect(answer).toMatchObject({ code: "ERR_NONCE_STORE_RESET" });
        const later = nowSeconds() + 92;
        await store.consume(n, later + 60, later);
        await expect(store.consume(n, later + 60, later)).rejects.toMatchObject(REPLAYED);
      } finally {
        await restarted.stop();
      }
    } finally {
      await server.stop();
    }
  });

  it("a frozen Redis (SIGSTOP): consume times out and fails closed, the nonce maybe consumed", async () => {
    const server = await startRedisServer();
    try {
      const store = await connect(server.url, { commandTimeoutMs: 300 });
      process.kill(server.pid, "SIGSTOP");
      const started = Date.now();
      try {
        await expect(store.consume(nonce(), nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(maybeConsumed("Command timed out"));
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
    } finally {
      await server.stop();
    }
  });

  it("verifyReceipt with Redis down is a deny with a clear code, and the receipt stays usable after", async () => {
    const server = await startRedisServer();
    const alice = makeApprover("alice");
    const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
    try {
      const store = await connect(server.url);
      const receipt = signReceipt(makeChallenge(), alice);
      await server.stop();
      await untilDisconnected(store);
      await expect(verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: store })).rejects.toMatchObject({
        code: "ERR_NONCE_STORE_UNAVAILABLE",
        message: expect.stringContaining("Start Redis or fix HITL_REDIS_URL"),
      });
    } finally {
      await server.stop();
    }
  });
});

describe("ready(): Redis answers now, nothing is written", () => {
  const unavailable = (port: number, reason: string) => ({
    code: "ERR_NONCE_STORE_UNAVAILABLE",
    message: expect.stringMatching(
      new RegExp(
        `^The replay store \\(Redis at redis://127\\.0\\.0\\.1:${port}\\) is unavailable \\(${reason}\\), so no approval can be recorded\\. Start Redis or fix HITL_REDIS_URL, then request a new approval\\.$`,
      ),
    ),
  });

  it("resolves on a working Redis and adds no key", async () => {
    const server = await startRedisServer();
    try {
      const store = await connect(server.url);
      await expect(store.ready()).resolves.toBeUndefined();
      const probe = new Redis(server.url, { lazyConnect: true });
      await probe.connect();
      expect(await probe.dbsize()).toBe(0);
      probe.disconnect();
    } finally {
      await server.stop();
    }
  });

  it("Redis stopped: ERR_NONCE_STORE_UNAVAILABLE at once", async () => {
    const server = await startRedisServer();
    try {
      const store = await connect(server.url);
      await server.stop();
      await untilDisconnected(store);
      const started = Date.now();
      await expect(store.ready()).rejects.toMatchObject(unavailable(server.port, "connection (reconnecting|connecting|close|end)[^)]*"));
      expect(Date.now() - started).toBeLessThan(100);
    } finally {
      await server.stop();
    }
  });

  it("a frozen Redis (SIGSTOP): ERR_NONCE_STORE_UNAVAILABLE within a second, though commands may wait 2 s", async () => {
    const server = await startRedisServer();
    try {
      const store = await connect(server.url);
      process.kill(server.pid, "SIGSTOP");
      const started = Date.now();
      try {
        await expect(store.ready()).rejects.toMatchObject(unavailable(server.port, "no answer within 1000 ms"));
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        process.kill(server.pid, "SIGCONT");
      }
    } finally {
      await server.stop();
    }
  });
});

describe("verifyReceipt with a RedisNonceStore", () => {
  it("replay is ERR_REPLAYED; a forgery first does not burn the nonce", async () => {
    const alice = makeApprover("alice");
    const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
    const store = await connect();
    const receipt = signReceipt(makeChallenge(), alice);
    const forged = { ...wire(receipt), challenge: { ...receipt.challenge, action: { summary: "something else" } } };
    await expect(verifyReceipt(forged, { aud: "hitl-cli" }, { keys, nonces: store })).rejects.toMatchObject({
      code: "ERR_CHALLENGE_MISMATCH",
    });
    expect(await inspect.exists(`hitl:nonce:${receipt.challenge.nonce}`)).toBe(0);
    await expect(verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: store, signatureCheck: "threadpool" })).resolves.toMatchObject(
      {
        nonceConsumed: true,
      },
    );
    await expect(verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: store })).rejects.toMatchObject(REPLAYED);
  });
});

describe("openNonceStore", () => {
  it("Redis when a URL is given, the embedded file store otherwise, and never a silent fallback", async () => {
    const viaRedis = await openNonceStore({ redisUrl: redis.url, dir: "/nonexistent" });
    expect(viaRedis).toBeInstanceOf(RedisNonceStore);
    await viaRedis.close();
    expect(await openNonceStore({ dir: "/tmp/hitl-unused" })).toBeInstanceOf(FileNonceStore);
    expect(await openNonceStore({ redisUrl: "", dir: "/tmp/hitl-unused" })).toBeInstanceOf(FileNonceStore);
    const down = await startRedisServer();
    await down.stop();
    await expect(openNonceStore({ redisUrl: down.url, dir: "/tmp/hitl-unused" })).rejects.toMatchObject({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
    });
  });
});
