import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { RedisNonceStore } from "../src/nonces/redis-nonce-store.js";
import type { Receipt } from "../src/protocol/types.js";
import { makeApprover, makeChallenge, nowSeconds, signReceipt } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { markInService, type RedisServer, startRedisServer } from "./helpers/redis-server.js";
import { tempDir } from "./helpers/temp-dir.js";

/*
 * Reliability figure: a real redis-server (AOF, appendfsync always) stopped hard (SIGKILL, no
 * shutdown save) and restarted on the same port during a stream of verifications by one
 * verifier. Every presentation of a fresh receipt and every re-presentation of an accepted one
 * is recorded; the test prints one `figure:` line. `pnpm soak` (HITL_SOAK=1) runs it longer.
 *
 * Skew is 1 s here (30 s by default), so a restarted Redis covers receipts issued 3·1 + 1 s after
 * its first use (nonce-faults.test.ts shows the same rule at 30 s with a moved clock).
 */

const SOAK = process.env.HITL_SOAK === "1";
const WORKERS = SOAK ? 16 : 4;
const UP_MS = SOAK ? 5_000 : 1_000;
const DOWN_MS = SOAK ? 10_000 : 1_500;
/** Verifications go on this long after the first acceptance that follows the restart. */
const AFTER_MS = SOAK ? 5_000 : 500;
const SKEW_SECONDS = 1;
const UNAVAILABLE_MESSAGE =
  /^The replay store \(Redis at redis:\/\/127\.0\.0\.1:\d+\) is unavailable \(.+\), so the approval is refused\. Start Redis or fix HITL_REDIS_URL, then request a new approval\.$/;

const alice = makeApprover("alice");
const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
let dir: { path: string; remove(): Promise<void> };
let redis: RedisServer | undefined;
let nonces: RedisNonceStore | undefined;

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await nonces?.close();
  nonces = undefined;
  await redis?.stop();
  redis = undefined;
  await dir.remove();
});

interface Presentation {
  receipt: Receipt;
  /** A receipt accepted before, presented again. */
  replay: boolean;
  startedAt: number;
  endedAt: number;
  /** "consumed" or the error code. */
  outcome: string;
  message?: string | undefined;
}

function freshReceipt(): Receipt {
  const now = nowSeconds();
  return signReceipt(makeChallenge({ iat: now, exp: now + 120 }), alice, { decidedAt: now });
}

describe("reliability figure: Redis stopped and restarted during verifications", () => {
  it("denies with ERR_NONCE_STORE_UNAVAILABLE while it is down, accepts again after, and accepts no nonce twice", async () => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always", "--dir", dir.path];
    redis = await startRedisServer(aof);
    await markInService(redis.url);
    const store = await RedisNonceStore.connect(redis.url, { skewSeconds: SKEW_SECONDS });
    nonces = store;

    const log: Presentation[] = [];
    const accepted: Receipt[] = [];
    let running = true;
    const present = async (receipt: Receipt, replay: boolean) => {
      const startedAt = performance.now();
      const outcome = await verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: store, skewSeconds: SKEW_SECONDS }).then(
        () => ({ outcome: "consumed" }),
        (error: { code?: string; message?: string }) => ({ outcome: error.code ?? String(error), message: error.message }),
      );
      log.push({ receipt, replay, startedAt, endedAt: performance.now(), ...outcome });
      if (outcome.outcome === "consumed") accepted.push(receipt);
    };
    const worker = async () => {
      while (running) {
        await present(freshReceipt(), false);
        // Each round also re-presents an accepted receipt: it must never be accepted again.
        const earlier = accepted[Math.floor(Math.random() * accepted.length)];
        if (earlier !== undefined) await present(earlier, true);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const workers = Array.from({ length: WORKERS }, worker);

    await new Promise((resolve) => setTimeout(resolve, UP_MS));
    const killedAt = performance.now();
    await redis.crash();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    const restartingAt = performance.now();
    redis = await startRedisServer(aof, redis.port);
    const restartedAt = performance.now();
    const deadline = restartedAt + 20_000;
    while (!log.some((p) => p.outcome === "consumed" && p.startedAt > restartedAt) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, AFTER_MS));
    running = false;
    await Promise.all(workers);

    // Every receipt accepted during the stream, presented once more after it (WORKERS at a time,
    // like the stream): all refused.
    const finalReplays: Array<string | undefined> = [];
    for (let i = 0; i < accepted.length; i += WORKERS) {
      const batch = accepted.slice(i, i + WORKERS).map((receipt) =>
        verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: store, skewSeconds: SKEW_SECONDS }).then(
          () => "consumed",
          (error: { code?: string }) => error.code,
        ),
      );
      finalReplays.push(...(await Promise.all(batch)));
    }

    const fresh = log.filter((p) => !p.replay);
    const noticedAt = Math.min(...log.filter((p) => p.outcome === "ERR_NONCE_STORE_UNAVAILABLE").map((p) => p.endedAt));
    const whileDown = fresh.filter((p) => p.startedAt >= noticedAt && p.endedAt <= restartingAt);
    const firstAcceptAfter = Math.min(...fresh.filter((p) => p.outcome === "consumed" && p.startedAt > restartedAt).map((p) => p.endedAt));
    const acceptedNonces = log.filter((p) => p.outcome === "consumed").map((p) => p.receipt.challenge.nonce);
    const doubleAccepts = acceptedNonces.length - new Set(acceptedNonces).size + finalReplays.filter((o) => o === "consumed").length;
    const count = (outcome: string) => log.filter((p) => p.outcome === outcome).length;
    const downLatencies = whileDown.map((p) => p.endedAt - p.startedAt).sort((a, b) => a - b);
    console.log(
      `figure: redis_outage presentations=${log.length} accepted=${acceptedNonces.length} unavailable=${count("ERR_NONCE_STORE_UNAVAILABLE")} ` +
        `maybe_consumed=${count("ERR_NONCE_MAYBE_CONSUMED")} reset=${count("ERR_NONCE_STORE_RESET")} replays_refused=${count("ERR_REPLAYED") + finalReplays.length} ` +
        `double_accepts=${doubleAccepts} noticed_after=${(noticedAt - killedAt).toFixed(0)}ms down=${(restartingAt - killedAt).toFixed(0)}ms ` +
        `deny_while_down_p99=${(downLatencies[Math.ceil(downLatencies.length * 0.99) - 1] ?? Number.NaN).toFixed(1)}ms ` +
        `first_accept_after_restart=${(firstAcceptAfter - restartedAt).toFixed(0)}ms`,
    );

    // No nonce accepted twice, across the outage or at any other time.
    expect(doubleAccepts).toBe(0);
    expect(log.filter((p) => p.replay && p.outcome === "consumed")).toEqual([]);
    expect(finalReplays.filter((o) => o !== "ERR_REPLAYED")).toEqual([]);
    // While down: every fresh receipt is refused as unavailable, with the documented message.
    expect(whileDown.length).toBeGreaterThan(0);
    for (const p of whileDown)
      expect(p).toMatchObject({ outcome: "ERR_NONCE_STORE_UNAVAILABLE", message: expect.stringMatching(UNAVAILABLE_MESSAGE) });
    // A presentation in flight when Redis died may not know whether its write landed: refused too.
    for (const p of log.filter((p) => p.outcome === "ERR_NONCE_MAYBE_CONSUMED")) expect(p.startedAt).toBeLessThan(noticedAt);
    // Before the kill and after the restart only the documented outcomes occur.
    expect(new Set(log.map((p) => p.outcome))).toSatisfy((outcomes: Set<string>) =>
      [...outcomes].every((o) =>
        ["consumed", "ERR_REPLAYED", "ERR_NONCE_STORE_UNAVAILABLE", "ERR_NONCE_MAYBE_CONSUMED", "ERR_NONCE_STORE_RESET"].includes(o),
      ),
    );
    // Accepting again after the restart.
    expect(firstAcceptAfter).toBeLessThan(Number.POSITIVE_INFINITY);
    expect(fresh.some((p) => p.outcome === "consumed" && p.startedAt < killedAt)).toBe(true);
  }, 60_000);
});
