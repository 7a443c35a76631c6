import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { RedisNonceStore, type RedisNonceStoreOptions } from "../src/nonces/redis-nonce-store.js";
import type { Challenge, Receipt } from "../src/protocol/types.js";
import { makeApprover, makeChallenge, nowSeconds, signReceipt } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { firstAnswer, markInService, type RedisServer, startRedisServer, untilDisconnected } from "./helpers/redis-server.js";
import { tempDir } from "./helpers/temp-dir.js";

/*
 * Single use under faults, against real redis-server processes: restarts with and without
 * persistence, a snapshot older than the last consume, FLUSHALL, verifiers whose clocks differ,
 * a Redis that stops answering writes, and one that is gone.
 */

const DIST_INDEX = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");
const alice = makeApprover("alice");
const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
const REPLAYED = {
  code: "ERR_REPLAYED",
  message: "This approval was already used (its nonce is consumed). Request a new approval for every action.",
};

function reset(receipt: Receipt) {
  const issued = new Date(receipt.challenge.iat * 1000).toISOString().replace(/[.]/g, "\\.");
  return {
    code: "ERR_NONCE_STORE_RESET",
    message: expect.stringMatching(
      new RegExp(
        `^The replay store \\(Redis at redis://127\\.0\\.0\\.1:\\d+\\) holds consumed nonces only since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(it restarted, failed over, was flushed, or is new\\), and this approval, issued ${issued}, could have been used before that, so it is refused\\. Request a new approval; approvals issued from \\d{4}-\\d\\d-\\d\\dT[\\d:]+\\.000Z on are accepted\\.$`,
      ),
    ),
  };
}

const servers: RedisServer[] = [];
const children: ChildProcess[] = [];
const stores: RedisNonceStore[] = [];
const clients: Redis[] = [];
let dir: { path: string; remove(): Promise<void> };

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin?.end(); // the process closes its store and exits
    await exited;
  }
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of servers.splice(0)) await s.stop();
  await dir.remove();
});

async function server(args: string[] = [], port?: number): Promise<RedisServer> {
  const started = await startRedisServer(args, port);
  servers.push(started);
  return started;
}

async function client(url: string): Promise<Redis> {
  const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  c.on("error", () => undefined); // restarts are expected here
  clients.push(c);
  await c.connect();
  return c;
}

async function store(url: string, options: RedisNonceStoreOptions = {}): Promise<RedisNonceStore> {
  const s = await RedisNonceStore.connect(url, options);
  stores.push(s);
  return s;
}

function receipt(overrides: Partial<Challenge> = {}, now = nowSeconds()): Receipt {
  return signReceipt(makeChallenge(overrides, now), alice);
}

/** A Redis that has been in service for hours (markInService), and a store on it. */
async function inService(
  args: string[] = [],
  options: RedisNonceStoreOptions = {},
): Promise<{ redis: RedisServer; nonces: RedisNonceStore }> {
  const redis = await server(args);
  await markInService(redis.url);
  return { redis, nonces: await store(redis.url, options) };
}

/** Redis killed (SIGKILL: no shutdown save), and the store has noticed. */
async function crash(redis: RedisServer, nonces: RedisNonceStore): Promise<void> {
  await redis.crash();
  await untilDisconnected(nonces);
}

const verify = (r: Receipt, nonces: RedisNonceStore, clock?: () => number) =>
  verifyReceipt(r, { aud: "hitl-cli" }, { keys, nonces, ...(clock !== undefined && { clock }) });

describe("Redis restarts", () => {
  it("without persistence: a receipt used before the restart is refused (ERR_NONCE_STORE_RESET), also by another verifier; one issued 3·skew + 1 s after it works once", async () => {
    const redis = await server();
    await markInService(redis.url);
    const first = await store(redis.url);
    const used = receipt();
    await expect(verify(used, first)).resolves.toMatchObject({ nonceConsumed: true });

    await redis.stop();
    await untilDisconnected(first);
    await server([], redis.port);
    // The first presentation after the restart recreates the epoch marker; the receipt is refused.
    await expect(firstAnswer(() => verify(used, first))).resolves.toMatchObject(reset(used));
    const other = await store(redis.url);
    await expect(verify(used, other)).rejects.toMatchObject(reset(used));
    await expect(verify(used, first)).rejects.toMatchObject(reset(used));

    // Issued 95 s later (the verifiers' clocks read that time then): after the epoch + 91 s.
    const later = nowSeconds() + 100;
    const fresh = receipt({}, later);
    const clock = () => later * 1000;
    await expect(verify(fresh, other, clock)).resolves.toMatchObject({ nonceConsumed: true });
    await expect(verify(fresh, first, clock)).rejects.toMatchObject(REPLAYED);
  });

  it("a brand-new Redis refuses receipts issued before its first use + 3·skew + 1 s (it cannot tell new from emptied)", async () => {
    const redis = await server();
    const nonces = await store(redis.url);
    const now = receipt();
    const refusal = await verify(now, nonces).catch((error: Error) => error);
    expect(refusal).toMatchObject(reset(now));
    const c = await client(redis.url);
    const marker = await c.get("hitl:nonce:~epoch");
    expect(marker).toMatch(/^\d{13}:[0-9a-f]{40}$/);
    // Accepted from the epoch's start + 3·30 s + 1 s, rounded up to the second.
    const coveredFrom = new Date(Math.ceil((Number(marker!.split(":")[0]) + 91_000) / 1000) * 1000).toISOString();
    expect((refusal as Error).message).toContain(`approvals issued from ${coveredFrom} on are accepted.`);
  });

  it("FLUSHALL (or the marker evicted): receipts used before are refused, not accepted again", async () => {
    const { redis, nonces } = await inService();
    const used = receipt();
    await verify(used, nonces);
    await (await client(redis.url)).flushall();
    await expect(verify(used, nonces)).rejects.toMatchObject(reset(used));
  });

  it("from an RDB snapshot older than the last consume: the marker survives but names the old process, so the lost receipt is refused", async () => {
    const { redis, nonces } = await inService(["--dir", dir.path]);
    const beforeSnapshot = receipt();
    const afterSnapshot = receipt();
    await verify(beforeSnapshot, nonces);
    await (await client(redis.url)).save();
    await verify(afterSnapshot, nonces);
    await crash(redis, nonces);
    await server(["--dir", dir.path], redis.port);
    const restored = await client(redis.url);
    expect(await restored.exists(`hitl:nonce:${afterSnapshot.challenge.nonce}`)).toBe(0); // lost with the crash
    expect(await restored.get("hitl:nonce:~epoch")).toMatch(/^\d{13}:[0-9a-f]{40}$/); // the old marker came back
    await expect(firstAnswer(() => verify(afterSnapshot, nonces))).resolves.toMatchObject(reset(afterSnapshot));
    await expect(verify(beforeSnapshot, nonces)).rejects.toMatchObject(REPLAYED);
  });

  it("AOF with appendfsync always, killed and restarted: the same receipt is ERR_REPLAYED (exactly once kept); one refused while Redis was down was never recorded", async () => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always", "--dir", dir.path];
    const { redis, nonces } = await inService(aof);
    const used = receipt();
    await verify(used, nonces);
    await crash(redis, nonces);
    const refused = receipt();
    await expect(verify(refused, nonces)).rejects.toMatchObject({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: expect.stringMatching(
        /^The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) is unavailable \(.+\), so the approval is refused\. Start Redis or fix HITL_REDIS_URL, then request a new approval\.$/,
      ),
    });
    await server(aof, redis.port);
    await expect(firstAnswer(() => verify(used, nonces))).resolves.toMatchObject(REPLAYED);
    // Every write Redis acknowledged is on disk: the refused one was never sent.
    expect(await (await client(redis.url)).exists(`hitl:nonce:${refused.challenge.nonce}`)).toBe(0);
  });

  it("AOF with appendfsync everysec, killed and restarted: the receipt is refused (ERR_REPLAYED if its write was on disk, ERR_NONCE_STORE_RESET if the last writes were lost), never accepted", async () => {
    const aof = ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir.path];
    const { redis, nonces } = await inService(aof);
    const used = receipt();
    await verify(used, nonces);
    // Within the second: not fsynced yet. Usually written to the kernel before the reply, but
    // Redis postpones that write (up to 2 s) while a background fsync lags, as on a busy disk.
    await crash(redis, nonces);
    await server(aof, redis.port);
    const answer = (await firstAnswer(() => verify(used, nonces))) as { code?: string; message?: string };
    expect(answer).toMatchObject(answer.code === "ERR_NONCE_STORE_RESET" ? reset(used) : REPLAYED);
  });
});

describe("verifiers whose clocks differ", () => {
  it("clocks at +5 s and -5 s on one Redis: the second verifier, still inside its own window after the first one's would have closed, gets ERR_REPLAYED", async () => {
    const redis = await server();
    await markInService(redis.url);
    const ahead = () => Date.now() + 5000;
    const behind = () => Date.now() - 5000;
    const a = await store(redis.url, { clock: ahead });
    const b = await store(redis.url, { clock: behind });
    const now = nowSeconds();
    // exp + 30 s (the skew) is 1 s after "now" on the fast clock, 11 s after on the slow one.
    const late = receipt({ iat: now - 200, exp: now - 24 });
    await expect(verify(late, a, ahead)).resolves.toMatchObject({ nonceConsumed: true });
    const ttl = await (await client(redis.url)).pttl(`hitl:nonce:${late.challenge.nonce}`);
    // exp + 3·30 s + 1 s, on the fast clock: ~62 s (the former exp + skew - now gave ~1 s).
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual((now - 24 + 91) * 1000 - (now * 1000 + 5000) + 1000);
    await new Promise((r) => setTimeout(r, 1300));
    await expect(verify(late, b, behind)).rejects.toMatchObject(REPLAYED);
  });
});

interface VerifierProcess {
  /** Sends the receipt; resolves with "consumed" or the error code. */
  verify(r: Receipt): Promise<string>;
}

/**
 * A verifier in a separate Node process (the built library), its clock `offsetMs` away from this
 * machine's. It connects first and says "ready"; then each receipt sent as one line of JSON on
 * stdin is verified at once (start-up time never eats into a receipt's window).
 */
async function verifierProcess(url: string, offsetMs: number): Promise<VerifierProcess> {
  const script = `
    const { createInterface } = await import("node:readline");
    const { LocalKeyDirectory, RedisNonceStore, decodeBase64url, verifyReceipt } = await import(${JSON.stringify(DIST_INDEX)});
    const [url, publicKey, offset] = process.argv.slice(1);
    const clock = () => Date.now() + Number(offset);
    const keys = LocalKeyDirectory.fromPublicKey("alice", decodeBase64url(publicKey));
    const nonces = await RedisNonceStore.connect(url, { clock });
    process.stdout.write("ready\\n");
    for await (const line of createInterface({ input: process.stdin })) {
      const answer = await verifyReceipt(line, { aud: "hitl-cli" }, { keys, nonces, clock }).then(() => "consumed", (error) => error.code ?? String(error));
      process.stdout.write(answer + "\\n");
    }
    await nonces.close();
  `;
  const publicKey = Buffer.from(alice.publicKey).toString("base64url");
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, url, publicKey, String(offsetMs)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(child);
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const next = waiting.shift();
      if (next !== undefined) next(line);
      else lines.push(line);
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift();
      if (line !== undefined) return resolve(line);
      waiting.push(resolve);
      child.once("exit", (code) => reject(new Error(`verifier process exited (${code})`)));
    });
  expect(await nextLine()).toBe("ready");
  return {
    verify(r) {
      child.stdin!.write(`${JSON.stringify(r)}\n`);
      return nextLine();
    },
  };
}

describe("verifier processes whose clocks differ", () => {
  it("two Node processes at +5 s and -5 s: the second presentation, after the first one's former TTL lapsed, is ERR_REPLAYED", async () => {
    const redis = await server();
    await markInService(redis.url);
    const [ahead, behind] = await Promise.all([verifierProcess(redis.url, 5000), verifierProcess(redis.url, -5000)]);
    const now = nowSeconds();
    // exp + 30 s (the skew) is 1 s after "now" on the fast clock, 11 s after on the slow one.
    const late = receipt({ iat: now - 200, exp: now - 24 });
    await expect(ahead.verify(late)).resolves.toBe("consumed");
    // The former TTL (exp + skew - now on the fast clock, about 1 s) has lapsed.
    await new Promise((r) => setTimeout(r, 1300));
    await expect(behind.verify(late)).resolves.toBe("ERR_REPLAYED");
  });
});

describe("a Redis that does not answer in time", () => {
  it("CLIENT PAUSE WRITE: the timed-out consume is ERR_NONCE_MAYBE_CONSUMED; the write lands after the pause, so the same receipt is then ERR_REPLAYED", async () => {
    const { redis, nonces } = await inService([], { commandTimeoutMs: 300 });
    const admin = await client(redis.url);
    const r = receipt();
    await admin.call("CLIENT", "PAUSE", "1000", "WRITE");
    const started = Date.now();
    await expect(verify(r, nonces)).rejects.toMatchObject({
      code: "ERR_NONCE_MAYBE_CONSUMED",
      message: expect.stringMatching(
        /^The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) did not confirm the nonce \(Command timed out\) after the request was sent, so the approval is refused; the nonce may be consumed all the same\. Do not proceed\. Presenting this receipt again may give ERR_REPLAYED because of this attempt; request a new approval instead\.$/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, Math.max(0, started + 1300 - Date.now())));
    expect(await admin.exists(`hitl:nonce:${r.challenge.nonce}`)).toBe(1);
    await expect(verify(r, nonces)).rejects.toMatchObject(REPLAYED);
    // Other receipts are unaffected.
    await expect(verify(receipt(), nonces)).resolves.toMatchObject({ nonceConsumed: true });
  });

  it("connection refused (Redis gone): ERR_NONCE_STORE_UNAVAILABLE at once, nothing sent", async () => {
    const { redis, nonces } = await inService();
    await redis.stop();
    await untilDisconnected(nonces);
    const started = Date.now();
    await expect(verify(receipt(), nonces)).rejects.toMatchObject({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: expect.stringMatching(
        /^The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) is unavailable \(connection (reconnecting|connecting|connect|close|end)/,
      ),
    });
    expect(Date.now() - started).toBeLessThan(200);
  });

  it("a full Redis under noeviction refuses the script (OOM): ERR_NONCE_STORE_UNAVAILABLE, nothing recorded, the receipt works once memory is free", async () => {
    const { redis, nonces } = await inService(["--maxmemory-policy", "noeviction"]);
    const admin = await client(redis.url);
    // 2 MB of data, then a limit below it: every write is refused until memory is freed.
    await admin.set("ballast", "x".repeat(2 * 1024 * 1024));
    await admin.config("SET", "maxmemory", String(1024 * 1024));
    const r = receipt();
    await expect(verify(r, nonces)).rejects.toMatchObject({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: expect.stringMatching(
        /^The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) is unavailable \(OOM command not allowed when used memory > 'maxmemory'.*\), so the approval is refused\./,
      ),
    });
    await admin.del("ballast");
    await admin.config("SET", "maxmemory", "0");
    await expect(verify(r, nonces)).resolves.toMatchObject({ nonceConsumed: true });
  });
});

describe("not defended (documented)", () => {
  it("a nonce key deleted alone (DEL, or evicted under a volatile-*/allkeys-* policy) while the marker stays: its receipt is accepted again", async () => {
    const { redis, nonces } = await inService();
    const r = receipt();
    await verify(r, nonces);
    await (await client(redis.url)).del(`hitl:nonce:${r.challenge.nonce}`);
    await expect(verify(r, nonces)).resolves.toMatchObject({ nonceConsumed: true });
  });
});
