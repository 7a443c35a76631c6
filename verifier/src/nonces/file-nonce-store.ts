import { createHash } from "node:crypto";
import { type FileHandle, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { NonceStore } from "../contracts.js";
import { DEFAULT_SKEW_SECONDS, MAX_SKEW_SECONDS } from "../lib/options.js";
import { makePrivateDirectory } from "../make-private-directory.js";
import { LIMITS } from "../protocol/constants.js";
import { HitlError } from "../protocol/errors.js";
import { checkConsumeArguments, lastAcceptanceMs } from "./lib/retention.js";
import { probeNonceDirectory } from "./probe-nonce-directory.js";

export interface FileNonceStoreOptions {
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /**
   * Kept at least this long after the challenge expiry (default 300 s), and never less than any
   * verifier within the skew could still accept it (`exp + 3·skew`, lib/retention.ts): clock
   * steps between processes on one machine can never reopen a nonce.
   */
  graceSeconds?: number;
  /** How often (at most) one process sweeps expired entries. Default 10 minutes. */
  pruneIntervalMs?: number;
}

/**
 * Embedded single-use store for one machine: every `hitl` run is a new process, so "used" must
 * live in the filesystem. Consuming = creating the nonce's file with O_CREAT|O_EXCL ("wx"), which
 * the kernel makes atomic: of two processes racing, exactly one creates it. File name = hex
 * SHA-256 of the nonce (fixed length, no path tricks), sharded by its first byte.
 *
 * Limits: local filesystems only (O_EXCL is not reliable on NFS v2 or some network mounts);
 * space grows with unexpired nonces (one small file each, swept after expiry); for several
 * machines use RedisNonceStore. Whoever can write the directory (the same OS user) can delete a
 * nonce's file and so accept its receipt again: that user can equally run the approved command
 * without asking, so this store defends against replay by a tool, not against that user.
 */
export class FileNonceStore implements NonceStore {
  readonly #dir: string;
  readonly #clock: () => number;
  readonly #graceSeconds: number;
  readonly #pruneIntervalMs: number;
  readonly #knownShards = new Set<string>();
  #lastPrune = 0;
  #pruning: Promise<void> | undefined;

  constructor(dir: string, options: FileNonceStoreOptions = {}) {
    if (typeof dir !== "string" || dir.length === 0)
      throw new HitlError("ERR_CONFIG", "FileNonceStore needs a directory (e.g. resolvePaths().nonceDir).");
    this.#dir = dir;
    this.#clock = options.clock ?? Date.now;
    this.#graceSeconds = options.graceSeconds ?? 300;
    this.#pruneIntervalMs = options.pruneIntervalMs ?? 10 * 60_000;
  }

  async consume(nonce: string, expiresAt: number, issuedAt: number, skewSeconds: number = DEFAULT_SKEW_SECONDS): Promise<void> {
    checkConsumeArguments(nonce, expiresAt, issuedAt, skewSeconds);
    const keepUntil = Math.max(Math.ceil(expiresAt + this.#graceSeconds), Math.ceil(lastAcceptanceMs(expiresAt, skewSeconds) / 1000));
    const name = createHash("sha256").update(nonce, "utf8").digest("hex");
    const shard = join(this.#dir, name.slice(0, 2));
    const file = join(shard, name);
    try {
      const handle = await this.#create(shard, file);
      try {
        await handle.writeFile(`${keepUntil}\n`, "utf8");
      } catch (error) {
        // Not recorded properly: give the nonce back so a retry after the fix can succeed.
        const givenBack = await unlink(file).then(
          () => true,
          () => false,
        );
        throw givenBack ? error : this.#maybeConsumed(error, file);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof HitlError) throw error;
      if ((error as NodeJS.ErrnoException).code === "EEXIST") {
        throw new HitlError(
          "ERR_REPLAYED",
          "This approval was already used (its nonce is consumed). Request a new approval for every action.",
        );
      }
      throw this.#unavailable(error);
    }
    this.#maybePrune();
  }

  /**
   * Resolves when the directory exists (created if missing) and takes a new file; records no
   * nonce. ERR_NONCE_STORE_UNAVAILABLE at once otherwise (a regular file in its place, a path
   * under /proc, a directory that refuses writes).
   */
  async ready(): Promise<void> {
    try {
      probeNonceDirectory(this.#dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new HitlError(
        "ERR_NONCE_STORE_UNAVAILABLE",
        `The replay store ${this.#dir} cannot record nonces (${code}), so no approval is requested. Make that directory writable (or remove what stands in its place), or set HITL_STATE_DIR to a writable directory.`,
        { cause: error },
      );
    }
  }

  /** Exclusive creation; (re)creates the shard directory when it is missing. */
  async #create(shard: string, file: string): Promise<FileHandle> {
    if (this.#knownShards.has(shard)) {
      try {
        return await open(file, "wx", 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        this.#knownShards.delete(shard);
      }
    }
    await makePrivateDirectory(shard);
    this.#knownShards.add(shard);
    return await open(file, "wx", 0o600);
  }

  close(): Promise<void> {
    return this.#pruning ?? Promise.resolve();
  }

  /** Sweeps in the background at most once per interval; a failed sweep only costs space. */
  #maybePrune(): void {
    const now = this.#clock();
    if (this.#pruning !== undefined || now - this.#lastPrune < this.#pruneIntervalMs) return;
    this.#lastPrune = now;
    this.#pruning = this.prune()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        this.#pruning = undefined;
      });
  }

  /**
   * Removes entries past their keep-until time. Only files older than the longest challenge
   * lifetime plus the longest retention after expiry are read at all; a file left empty by a crash
   * is removed once that old, which is safe because no receipt stays acceptable that long.
   */
  async prune(): Promise<number> {
    const nowSeconds = this.#clock() / 1000;
    const longestRetention = Math.max(this.#graceSeconds, lastAcceptanceMs(0, MAX_SKEW_SECONDS) / 1000);
    const oldEnough = nowSeconds - LIMITS.maxLifetimeSeconds - longestRetention;
    let removed = 0;
    let shards: string[];
    try {
      shards = await readdir(this.#dir);
    } catch {
      return 0;
    }
    for (const shard of shards) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const shardDir = join(this.#dir, shard);
      for (const name of await readdir(shardDir).catch(() => [] as string[])) {
        const file = join(shardDir, name);
        const info = await stat(file).catch(() => undefined);
        if (info === undefined || info.mtimeMs / 1000 > oldEnough) continue;
        const keepUntil = Number.parseInt(await readFile(file, "utf8").catch(() => ""), 10);
        if (Number.isFinite(keepUntil) && keepUntil > nowSeconds) continue;
        await unlink(file).then(
          () => removed++,
          () => undefined,
        );
      }
    }
    return removed;
  }

  #maybeConsumed(error: unknown, file: string): HitlError {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return new HitlError(
      "ERR_NONCE_MAYBE_CONSUMED",
      `The replay store ${this.#dir} created the nonce's file but could not complete it (${code}) nor remove it, so the approval is refused and the nonce stays consumed. Do not proceed; request a new approval, and check that directory's free space (${file}).`,
      { cause: error },
    );
  }

  #unavailable(error: unknown): HitlError {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return new HitlError(
      "ERR_NONCE_STORE_UNAVAILABLE",
      `The replay store ${this.#dir} cannot record the nonce (${code}), so the approval is refused. Check that directory's permissions and free space, or set HITL_STATE_DIR.`,
      { cause: error },
    );
  }
}
