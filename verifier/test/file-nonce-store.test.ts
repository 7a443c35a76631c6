import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalKeyDirectory } from "../src/keys/local-key-directory.js";
import { FileNonceStore } from "../src/nonces/file-nonce-store.js";
import { makeApprover, makeChallenge, nowSeconds, signReceipt } from "../src/testing/index.js";
import { verifyReceipt } from "../src/verify-receipt.js";
import { tempDir } from "./helpers/temp-dir.js";

const DIST_INDEX = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");
const nonce = () => randomBytes(32).toString("base64url");
const REPLAYED = {
  code: "ERR_REPLAYED",
  message: "This approval was already used (its nonce is consumed). Request a new approval for every action.",
};

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

/** Consumes `n` in a separate Node process (the built library), as another `hitl` run would. */
function consumeInChild(storeDir: string, n: string, expiresAt: number): Promise<{ code: number | null; stdout: string }> {
  const script = `
    const { FileNonceStore } = await import(${JSON.stringify(DIST_INDEX)});
    const store = new FileNonceStore(process.argv[1]);
    try { await store.consume(process.argv[2], Number(process.argv[3]), Number(process.argv[3]) - 60); process.stdout.write("consumed"); }
    catch (error) { process.stdout.write(error.code); process.exitCode = 1; }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, storeDir, n, String(expiresAt)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout }));
  });
}

describe("FileNonceStore", () => {
  it("consumes once; the second consume is ERR_REPLAYED", async () => {
    const store = new FileNonceStore(join(dir.path, "nonces"));
    const n = nonce();
    await store.consume(n, nowSeconds() + 60, nowSeconds());
    await expect(store.consume(n, nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(REPLAYED);
    await expect(new FileNonceStore(join(dir.path, "nonces")).consume(n, nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(REPLAYED);
  });

  it("rejects a nonce consumed by ANOTHER PROCESS", async () => {
    const storeDir = join(dir.path, "nonces");
    const n = nonce();
    await expect(consumeInChild(storeDir, n, nowSeconds() + 60)).resolves.toEqual({ code: 0, stdout: "consumed" });
    await expect(new FileNonceStore(storeDir).consume(n, nowSeconds() + 60, nowSeconds())).rejects.toMatchObject(REPLAYED);
    // And the other way round.
    const m = nonce();
    await new FileNonceStore(storeDir).consume(m, nowSeconds() + 60, nowSeconds());
    await expect(consumeInChild(storeDir, m, nowSeconds() + 60)).resolves.toEqual({ code: 1, stdout: "ERR_REPLAYED" });
  });

  it("of several processes racing for one nonce, exactly one wins", async () => {
    const storeDir = join(dir.path, "nonces");
    const n = nonce();
    const results = await Promise.all(Array.from({ length: 6 }, () => consumeInChild(storeDir, n, nowSeconds() + 60)));
    expect(results.filter((r) => r.stdout === "consumed")).toHaveLength(1);
    expect(results.filter((r) => r.stdout === "ERR_REPLAYED")).toHaveLength(5);
  });

  it("within one process, concurrent consumes of the same nonce: exactly one wins", async () => {
    const store = new FileNonceStore(join(dir.path, "nonces"));
    const n = nonce();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => store.consume(n, nowSeconds() + 60, nowSeconds())));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("stores one 0600 file per nonce, named by its SHA-256, sharded, holding the keep-until time", async () => {
    const storeDir = join(dir.path, "nonces");
    const n = nonce();
    const exp = nowSeconds() + 60;
    await new FileNonceStore(storeDir, { graceSeconds: 300 }).consume(n, exp, exp - 60);
    const name = createHash("sha256").update(n).digest("hex");
    const file = join(storeDir, name.slice(0, 2), name);
    expect(readFileSync(file, "utf8")).toBe(`${exp + 300}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(storeDir, name.slice(0, 2))).mode & 0o777).toBe(0o700);
  });

  it("prunes only entries past their keep-until time and older than the longest challenge lifetime", async () => {
    const storeDir = join(dir.path, "nonces");
    const now = nowSeconds();
    const store = new FileNonceStore(storeDir, { graceSeconds: 10 });
    const expired = nonce();
    const oldButKept = nonce();
    const crashed = nonce();
    const fresh = nonce();
    await store.consume(expired, now - 7200, now - 7260);
    await store.consume(oldButKept, now + 600, now + 540);
    await store.consume(crashed, now + 600, now + 540);
    await store.consume(fresh, now - 7200, now - 7260);
    const path = (n: string) => {
      const name = createHash("sha256").update(n).digest("hex");
      return join(storeDir, name.slice(0, 2), name);
    };
    // Unread until older than the longest lifetime + the longest retention (exp + 3·300 s + 1 s).
    const longAgo = now - 3600 - 901 - 60;
    for (const n of [expired, oldButKept, crashed]) utimesSync(path(n), longAgo, longAgo);
    writeFileSync(path(crashed), ""); // a crash between create and write leaves an empty file
    utimesSync(path(crashed), longAgo, longAgo);
    expect(await store.prune()).toBe(2); // expired + crashed; oldButKept still has time; fresh is too young to read
    await expect(store.consume(oldButKept, now + 600, now + 540)).rejects.toMatchObject(REPLAYED);
    await expect(store.consume(fresh, now + 600, now + 540)).rejects.toMatchObject(REPLAYED);
    await expect(store.consume(expired, now + 600, now + 540)).resolves.toBeUndefined();
  });

  it("keeps a nonce until exp + 3·skew + 1 s of the verifier that consumed it, whatever the grace", async () => {
    const storeDir = join(dir.path, "nonces");
    const now = nowSeconds();
    let clock = now * 1000;
    const store = new FileNonceStore(storeDir, { graceSeconds: 10, clock: () => clock });
    const wideSkew = nonce();
    const defaultSkew = nonce();
    // Expired 400 s ago: a verifier tolerating 300 s whose clock is 300 s behind (and so reads
    // exp + 100 now) still accepts it; another one 300 s ahead of true time would prune it.
    await store.consume(wideSkew, now - 400, now - 460, 300);
    await store.consume(defaultSkew, now - 400, now - 460, 30);
    const path = (n: string) => {
      const name = createHash("sha256").update(n).digest("hex");
      return join(storeDir, name.slice(0, 2), name);
    };
    expect(readFileSync(path(wideSkew), "utf8")).toBe(`${now - 400 + 901}\n`);
    expect(readFileSync(path(defaultSkew), "utf8")).toBe(`${now - 400 + 91}\n`);
    const longAgo = now - 3600 - 901 - 60;
    for (const n of [wideSkew, defaultSkew]) utimesSync(path(n), longAgo, longAgo);
    expect(await store.prune()).toBe(1);
    await expect(store.consume(wideSkew, now - 400, now - 460, 300)).rejects.toMatchObject(REPLAYED);
    clock = (now + 502) * 1000;
    expect(await store.prune()).toBe(1);
    await expect(store.consume(wideSkew, now - 400, now - 460, 300)).resolves.toBeUndefined();
  });

  it("not defended (documented): deleting a nonce's file, which only the same OS user can do, lets its receipt be accepted again", async () => {
    const storeDir = join(dir.path, "nonces");
    const store = new FileNonceStore(storeDir);
    const n = nonce();
    await store.consume(n, nowSeconds() + 60, nowSeconds());
    const name = createHash("sha256").update(n).digest("hex");
    const file = join(storeDir, name.slice(0, 2), name);
    expect(statSync(file).uid).toBe(process.getuid?.());
    expect(statSync(join(storeDir, name.slice(0, 2))).mode & 0o777).toBe(0o700); // nobody else can delete it
    unlinkSync(file);
    await expect(store.consume(n, nowSeconds() + 60, nowSeconds())).resolves.toBeUndefined();
  });

  it("refuses meaningless arguments (ERR_USAGE) before touching the disk", async () => {
    const storeDir = join(dir.path, "nonces");
    const store = new FileNonceStore(storeDir);
    const now = nowSeconds();
    await expect(store.consume("../../etc", now + 60, now)).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: "NonceStore.consume: the nonce must be 16 to 256 base64url characters.",
    });
    await expect(store.consume(nonce(), Number.NaN, now)).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: "NonceStore.consume: expiresAt and issuedAt must be the challenge's exp and iat (seconds).",
    });
    await expect(store.consume(nonce(), now + 60, undefined as unknown as number)).rejects.toMatchObject({ code: "ERR_USAGE" });
    await expect(store.consume(nonce(), now + 60, now, 301)).rejects.toMatchObject({
      code: "ERR_USAGE",
      message: "NonceStore.consume: skewSeconds must be between 0 and 300.",
    });
    expect(() => statSync(storeDir)).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  it("sweeps in the background at most once per interval", async () => {
    const storeDir = join(dir.path, "nonces");
    let clock = Date.now();
    const store = new FileNonceStore(storeDir, { clock: () => clock, pruneIntervalMs: 1000 });
    const old = nonce();
    await store.consume(old, nowSeconds() - 7200, nowSeconds() - 7260); // first consume: sweep runs (nothing old yet)
    await store.close();
    const name = createHash("sha256").update(old).digest("hex");
    const longAgo = nowSeconds() - 3600 - 1000;
    utimesSync(join(storeDir, name.slice(0, 2), name), longAgo, longAgo);
    await store.consume(nonce(), nowSeconds() + 60, nowSeconds()); // within the interval: no sweep
    await store.close();
    expect(readdirSync(join(storeDir, name.slice(0, 2)))).toContain(name);
    clock += 1001;
    await store.consume(nonce(), nowSeconds() + 60, nowSeconds());
    await store.close();
    expect(readdirSync(join(storeDir, name.slice(0, 2)))).not.toContain(name);
  });

  it("fails closed with ERR_NONCE_STORE_UNAVAILABLE when it cannot write", async () => {
    const blocker = join(dir.path, "file");
    writeFileSync(blocker, "x");
    await expect(new FileNonceStore(join(blocker, "nonces")).consume(nonce(), nowSeconds() + 60, nowSeconds())).rejects.toMatchObject({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: expect.stringMatching(
        /^The replay store .+\/file\/nonces cannot record the nonce \((ENOTDIR|EEXIST)\), so the approval is refused\. Check that directory's permissions and free space, or set HITL_STATE_DIR\.$/,
      ),
    });
    expect(() => new FileNonceStore("")).toThrow(
      expect.objectContaining({ code: "ERR_CONFIG", message: "FileNonceStore needs a directory (e.g. resolvePaths().nonceDir)." }),
    );
  });

  describe("ready(): the directory takes a new file, nothing is recorded", () => {
    const unavailable = (dir: string, codes: string) => ({
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: expect.stringMatching(
        new RegExp(
          `^The replay store ${dir.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")} cannot record nonces \\((${codes})\\), so no approval is requested\\. Make that directory writable \\(or remove what stands in its place\\), or set HITL_STATE_DIR to a writable directory\\.$`,
        ),
      ),
    });

    it("creates a missing directory (0700) and leaves it empty", async () => {
      const storeDir = join(dir.path, "state", "nonces");
      await expect(new FileNonceStore(storeDir).ready()).resolves.toBeUndefined();
      expect(statSync(storeDir).mode & 0o777).toBe(0o700);
      expect(readdirSync(storeDir)).toEqual([]);
    });

    it("a regular file in its place, a path under /proc, a directory that refuses files: refused at once", async () => {
      const blocker = join(dir.path, "file");
      writeFileSync(blocker, "x");
      const cases: Array<[string, string]> = [
        [blocker, "ENOTDIR"],
        [join(blocker, "nonces"), "ENOTDIR"],
        ["/proc/nope/nonces", "ENOENT"],
        // sysfs takes no new file, not even from root (who passes every permission check).
        ["/sys/nonces", "EACCES|EPERM"],
      ];
      for (const [path, codes] of cases) {
        const started = Date.now();
        await expect(new FileNonceStore(path).ready(), path).rejects.toMatchObject(unavailable(path, codes));
        expect(Date.now() - started).toBeLessThan(1000);
      }
    });

    it("a directory without write permission is refused (a process that is not root)", async () => {
      const storeDir = join(dir.path, "locked");
      await new FileNonceStore(storeDir).ready();
      chmodSync(storeDir, 0o500);
      try {
        const script = `
          const { FileNonceStore } = await import(${JSON.stringify(DIST_INDEX)});
          try { await new FileNonceStore(process.argv[1]).ready(); process.stdout.write("ready"); }
          catch (error) { process.stdout.write(error.code + ": " + error.message); }
        `;
        chmodSync(dir.path, 0o755);
        const output = execFileSync(process.execPath, ["--input-type=module", "-e", script, storeDir], {
          encoding: "utf8",
          // As nobody when this runs as root, for whom every directory is writable.
          ...(process.getuid?.() === 0 && { uid: 65534, gid: 65534 }),
        });
        expect(output).toMatch(
          /^ERR_NONCE_STORE_UNAVAILABLE: The replay store .+\/locked cannot record nonces \(EACCES\), so no approval is requested\./,
        );
      } finally {
        chmodSync(storeDir, 0o700);
      }
    });
  });

  it("recreates a shard directory removed while the store is open", async () => {
    const storeDir = join(dir.path, "nonces");
    const store = new FileNonceStore(storeDir);
    const a = nonce();
    await store.consume(a, nowSeconds() + 60, nowSeconds());
    await dir.remove();
    await expect(store.consume(nonce(), nowSeconds() + 60, nowSeconds())).resolves.toBeUndefined();
  });

  it("verifyReceipt + FileNonceStore: a receipt verified in another process cannot be replayed here", async () => {
    const storeDir = join(dir.path, "nonces");
    const alice = makeApprover("alice");
    const receipt = signReceipt(makeChallenge(), alice);
    await expect(consumeInChild(storeDir, receipt.challenge.nonce, receipt.challenge.exp)).resolves.toMatchObject({ code: 0 });
    const keys = LocalKeyDirectory.fromPublicKey("alice", alice.publicKey);
    await expect(verifyReceipt(receipt, { aud: "hitl-cli" }, { keys, nonces: new FileNonceStore(storeDir) })).rejects.toMatchObject(
      REPLAYED,
    );
  });
});
