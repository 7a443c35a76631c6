import { randomBytes } from "node:crypto";
import { openDefaultNonceStore } from "@hitl/sdk/internal";
import {
  DEFAULT_SKEW_SECONDS,
  encodeBase64url,
  HitlError,
  type NonceStore,
  type RedisDurability,
  RedisNonceStore,
  resolvePaths,
} from "@hitl/verifier";
import { type CheckResult, fail, pass, warn } from "./check.js";

const NAME = "replay store";
/** A new epoch covers receipts issued 3·skew + 1 s after it starts (verifier/src/nonces/lib/retention.ts). */
const EPOCH_WAIT_SECONDS = 3 * DEFAULT_SKEW_SECONDS + 1;

/**
 * Exercise the store exactly as `hitl request` will: open it and consume a fresh random nonce
 * (which no receipt can carry, so nothing real is burnt). Proves the directory is writable or
 * Redis runs the consume script, rather than only that a path exists. For Redis, also reads the
 * persistence and eviction settings: they decide whether single use survives restarts and
 * memory pressure.
 */
export async function checkReplayStore(env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const redisUrl = env.HITL_REDIS_URL;
  const where =
    redisUrl !== undefined && redisUrl.length > 0 ? `Redis (HITL_REDIS_URL)` : `embedded store in ${resolvePaths(env).nonceDir}`;
  const problems: string[] = [];
  const remedies: string[] = [];
  try {
    const store = await openDefaultNonceStore(env);
    try {
      if (await probe(store)) {
        problems.push(
          `its record of used approvals started less than ${EPOCH_WAIT_SECONDS} s ago (new, restarted, flushed, or failed over), so approvals issued before then + ${EPOCH_WAIT_SECONDS} s are refused (ERR_NONCE_STORE_RESET)`,
        );
        remedies.push(`wait ${EPOCH_WAIT_SECONDS} s before requesting approvals`);
      }
      if (store instanceof RedisNonceStore) judge(await store.durability(), problems, remedies);
    } finally {
      await store.close().catch(() => undefined);
    }
  } catch (error) {
    if (!(error instanceof HitlError)) throw error;
    return fail(NAME, `${where} does not work`, error.code, error.message);
  }
  if (problems.length > 0) return warn(NAME, `${where} works, but ${problems.join("; ")}`, `${capitalize(remedies.join("; "))}.`);
  return pass(NAME, `${where} accepts single-use nonces`);
}

/** True when the store has just started a new epoch (it refuses what was issued before). */
async function probe(store: NonceStore): Promise<boolean> {
  const now = Math.floor(Date.now() / 1000);
  try {
    await store.consume(encodeBase64url(randomBytes(32)), now + 60, now);
    return false;
  } catch (error) {
    if (error instanceof HitlError && error.code === "ERR_NONCE_STORE_RESET") return true;
    throw error;
  }
}

/**
 * Eviction can silently drop a used nonce while the epoch marker stays: the one setting here that
 * breaks single use. Missing persistence does not (a restart starts a new epoch), but then single
 * use rests on the verifiers' clocks alone, and every restart refuses approvals in flight.
 */
function judge(d: RedisDurability, problems: string[], remedies: string[]): void {
  if (d.maxMemory === undefined || d.maxMemoryPolicy === undefined) {
    problems.push("its eviction policy cannot be read (INFO and CONFIG refused)");
    remedies.push("check by hand that maxmemory is 0 or maxmemory-policy is noeviction");
  } else if (d.maxMemory > 0 && d.maxMemoryPolicy !== "noeviction") {
    problems.push(
      `maxmemory-policy ${d.maxMemoryPolicy} with maxmemory ${d.maxMemory} can evict used nonces before they expire, and an evicted nonce's approval is accepted again`,
    );
    remedies.push("set maxmemory-policy noeviction (a full Redis then refuses approvals instead)");
  }
  if (d.appendOnly === undefined) {
    problems.push("its persistence settings cannot be read (INFO and CONFIG refused)");
    remedies.push("check by hand that appendonly is yes with appendfsync always");
  } else if (!d.appendOnly) {
    const rdb = d.save !== undefined && d.save.length > 0 ? ` (RDB snapshots "${d.save}" only)` : "";
    problems.push(
      `it has no AOF persistence${rdb}: a restart forgets used approvals, so hitl refuses every approval issued before it (ERR_NONCE_STORE_RESET) and single use then rests on the clocks alone`,
    );
    remedies.push("set appendonly yes and appendfsync always");
  } else if (d.appendFsync !== undefined && d.appendFsync !== "always") {
    problems.push(
      `appendfsync ${d.appendFsync} can lose the last seconds of used nonces in a crash (hitl then refuses those approvals, relying on the clocks)`,
    );
    remedies.push("set appendfsync always");
  } else if (d.appendFsync === undefined) {
    problems.push("its appendfsync setting cannot be read (CONFIG refused)");
    remedies.push("check by hand that appendfsync is always");
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
