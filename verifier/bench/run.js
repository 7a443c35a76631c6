#!/usr/bin/env node
/*
 * `pnpm bench` (after `pnpm build`): one run, one machine, every figure a ratio within the run.
 *   raw_1core      node:crypto Ed25519 verify in a synchronous loop (one core)
 *   raw_2core      node:crypto Ed25519 verify with a callback (libuv pool), 64 in flight
 *   pipeline_1core verifyReceipt (cached key, real redis-server nonce store) with the signature
 *                  checked on the main thread, 256 receipts in flight so Redis round trips
 *                  overlap with verification
 *   pipeline_2core the same with signatureCheck "threadpool": verification on both cores
 *   cli_start      wall time of `hitl --version` vs `node -e 0`, in pairs, as the user runs it:
 *                  cli/bin/hitl (the package's bin: sh, then node on the same file, which loads
 *                  dist/bin.cjs), reached through a symlink as a global install or npm's
 *                  node_modules/.bin puts it on PATH. The figure
 *                  (cli_start_vs_node) is measured with NODE_EXTRA_CA_CERTS unset for both sides:
 *                  with it set, Node 20 builds its whole CA store at start (tens of ms) and that
 *                  cost hides hitl's own; cli_start_vs_node_ca has it set for both sides (the
 *                  launcher sets it aside for hitl). `node cli/dist/bin.cjs --version` (no sh) is
 *                  reported beside each as cli_direct_start_vs_node(_ca).
 *   hook_allow     wall time of `node cli/dist/bin.cjs hook claude-code` (the line `hitl hook install`
 *                  writes) deciding an allowed Bash call (`git status`, through the default policy
 *                  and its shell analysis) vs `node -e 0`, in rounds like cli_start, NODE_EXTRA_CA_CERTS
 *                  unset for both (hook_allow_vs_node) and set for both (_ca); an agent runs the
 *                  hook on every tool call
 *   gate_passthrough_overhead  p50 of 1,000 allowed tools/call through `hitl mcp-gate` vs direct
 *                  (cli/bench/gate-passthrough.mjs; the reference filesystem server, and _echo: an
 *                  upstream that answers at once); gate_relay_floor(_echo): the same ratio for a
 *                  relay that only copies bytes (cli/bench/bare-relay.mjs), the floor of any Node relay
 * Every receipt has its own nonce (pre-generated and pre-signed), so every consume is a real
 * first use. The pipeline gets parsed receipt objects (what an HTTP framework hands over), and
 * parses, looks up, verifies, hashes and consumes each one in full.
 * Each ratio is the median over rounds of (pipeline slice rate / raw slice rate), the two slices
 * of a round run back to back: a burst of load from another tenant of the machine then moves one
 * round, not the figure. The pooled ratio (all items over all time) is reported beside it.
 * The last line is `BENCH {json}`.
 */
import { spawn, spawnSync } from "node:child_process";
import { createPublicKey, sign as cryptoSign, verify as cryptoVerify, generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  challengeDigest,
  decodeBase64url,
  encodeBase64url,
  keyIdFromPublicKey,
  LocalKeyDirectory,
  RedisNonceStore,
  verifyReceipt,
} from "../dist/index.js";
import { signingInput } from "../dist/protocol/index.js";

/*
 * libuv's pool sized to the cores: what a CPU-bound verifier should run with (see the README).
 * Four CPU-bound pool threads on two cores keep the event loop, and with it every Redis reply,
 * waiting for a core. Node starts the pool before any user code runs, so the variable must be
 * set before start: without it, this script runs itself again with it. Raw and pipeline run in
 * that one process, so both sides of every ratio use the same pool.
 */
const THREADPOOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE);

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Receipts in flight: many on one thread (so Redis round trips overlap), 64 on both cores. */
const IN_FLIGHT_1CORE = Number(process.env.BENCH_IN_FLIGHT_1CORE ?? 256);
const IN_FLIGHT = 64;
/** Interleaved slices: background load on a shared machine hits both sides of a ratio alike. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 16);
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 300);
const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 31);
/** At most this many consumes per Redis round trip (RedisNonceStore batchSize). */
const BATCH = Number(process.env.BENCH_REDIS_BATCH ?? 64);
/** How long the first consume of a batch waits for others (RedisNonceStore batchWindowMs). */
const WINDOW_MS = Number(process.env.BENCH_REDIS_WINDOW_MS ?? 1);

function log(line) {
  process.stderr.write(`${line}\n`);
}

/* ---------- redis-server on a random port, stopped by pid ---------- */

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    socket.once("error", () => resolve(false));
    socket.on("data", (chunk) => {
      reply += chunk;
      if (reply.includes("\r\n")) {
        socket.destroy();
        resolve(reply.startsWith("+PONG"));
      }
    });
    socket.once("connect", () => socket.write("PING\r\n"));
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await ping(port)) return { port, child };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill("SIGKILL");
  throw new Error("redis-server did not answer PING within 5 s; install it (apt-get install redis-server)");
}

/**
 * A store in service (its epoch marker two hours old, naming this server process), as in
 * production: a fresh one refuses receipts issued in its first 91 s (ERR_NONCE_STORE_RESET).
 */
async function markInService(port) {
  const { Redis } = await import("ioredis");
  const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true });
  await client.connect();
  const runId = /run_id:([0-9a-f]{40})/.exec(await client.info("server"))?.[1];
  await client.set("hitl:nonce:~epoch", `${Date.now() - 7_200_000}:${runId}`);
  client.disconnect();
}

async function stopRedis({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(child.pid, "SIGTERM");
  await exited;
}

/** CPU milliseconds used so far by a process or thread (Linux /proc; USER_HZ = 100). */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Idle and total CPU milliseconds of the whole machine so far (/proc/stat; idle + iowait). */
function machineMs() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n", 1)[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] + fields[4]) * 10, total: fields.reduce((x, y) => x + y, 0) * 10 };
}

/*
 * Where the CPU goes, per verified item: this process's main thread, its other threads (the
 * libuv pool that runs async verifies, V8's GC helpers), redis-server, and the share of the
 * machine left idle. Tick-granular (10 ms), so only summed over many slices.
 */
function cpuSnapshot() {
  const usage = process.cpuUsage();
  return {
    main: cpuMsOf(`${process.pid}/task/${process.pid}`),
    process: (usage.user + usage.system) / 1000,
    redis: redisChild === undefined ? 0 : cpuMsOf(redisChild.pid),
    machine: machineMs(),
  };
}

function emptyCpu() {
  return { main: 0, process: 0, redis: 0, idle: 0, total: 0 };
}

function addCpu(sum, before, after) {
  sum.main += after.main - before.main;
  sum.process += after.process - before.process;
  sum.redis += after.redis - before.redis;
  sum.idle += after.machine.idle - before.machine.idle;
  sum.total += after.machine.total - before.machine.total;
}

function cpuPerOp({ n, cpu }) {
  const us = (ms) => Number(((ms * 1000) / n).toFixed(1));
  return {
    main_us: us(cpu.main),
    other_threads_us: us(Math.max(0, cpu.process - cpu.main)),
    redis_us: us(cpu.redis),
    machine_idle_pct: Number(((100 * cpu.idle) / cpu.total).toFixed(1)),
  };
}

/* ---------- workload ---------- */

/** Receipts signed by one approver, each with a fresh nonce, signed on the thread pool. */
/** The intent digest of one structured call (the same for every receipt, as for one tool's calls). */
const BENCH_INTENT = encodeBase64url(randomBytes(32));

async function makeReceipts(count, privateKey, sub, kid) {
  const now = Math.floor(Date.now() / 1000);
  const receipts = new Array(count);
  let next = 0;
  async function worker() {
    while (next < count) {
      const i = next++;
      const challenge = {
        v: 1,
        id: randomUUID(),
        nonce: encodeBase64url(randomBytes(32)),
        aud: "hitl-cli",
        iat: now,
        exp: now + 600,
        action: { summary: `delete /tmp/bench-${i} ✓ — «données» 🚀`, details: { path: `/tmp/bench-${i}`, recursive: false, size: 1234 } },
        intent: BENCH_INTENT,
        requester: { tool: "bench", host: "localhost", pid: 4242, cwd: "/work" },
      };
      const statement = { v: 1, decision: "approve", challenge: challengeDigest(challenge), sub, kid, decidedAt: now };
      const data = signingInput("decision", statement);
      const sig = await new Promise((resolve, reject) => cryptoSign(null, data, privateKey, (e, s) => (e ? reject(e) : resolve(s))));
      // As it arrives over HTTP: parsed from JSON text (flat strings, fresh objects).
      const receipt = JSON.parse(JSON.stringify({ v: 1, challenge, statement, sig: encodeBase64url(sig), kid }));
      receipts[i] = { receipt, data, sig };
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker));
  return receipts;
}

/*
 * Receipts signed just before a slice still sit in V8's young generation, and every scavenge
 * during the slice would copy them again (2-5 ms each) until they are promoted: a cost of
 * signing ahead, which a server whose receipts arrive and die young never pays. Two minor
 * collections between slices promote them (a full collection would leave its concurrent
 * sweeping running into the slice). Neutral for raw, which allocates almost nothing.
 */
function settleYoungGeneration() {
  globalThis.gc({ type: "minor" });
  globalThis.gc({ type: "minor" });
}

function rawSync(receipts, keyObject, ms) {
  const start = performance.now();
  const end = start + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 20; k++) {
      const r = receipts[n % receipts.length];
      if (!cryptoVerify(null, r.data, keyObject, r.sig)) throw new Error("raw verify failed");
      n++;
    }
  }
  return { n, ms: performance.now() - start };
}

async function rawAsync(receipts, keyObject, ms) {
  let n = 0;
  let next = 0;
  const start = performance.now();
  const end = start + ms;
  async function lane() {
    while (performance.now() < end) {
      const r = receipts[next++ % receipts.length];
      const ok = await new Promise((resolve, reject) =>
        cryptoVerify(null, r.data, keyObject, r.sig, (e, v) => (e ? reject(e) : resolve(v))),
      );
      if (!ok) throw new Error("raw async verify failed");
      n++;
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return { n, ms: performance.now() - start };
}

/**
 * Pre-signed receipts, each with its own nonce. `ensure` signs more BETWEEN measured slices, so
 * a slice never runs out and signing never runs inside a measurement.
 */
class ReceiptSupply {
  constructor(privateKey, kid) {
    this.privateKey = privateKey;
    this.kid = kid;
    this.receipts = [];
    this.next = 0;
    this.dropped = 0;
  }
  get consumed() {
    return this.dropped + this.next;
  }
  async ensure(count) {
    // Consumed receipts are dropped: a heap that only grows would make every garbage collection
    // of the pipeline (which allocates; the raw loop hardly does) slower as the run goes on.
    this.receipts = this.receipts.slice(this.next);
    this.dropped += this.next;
    this.next = 0;
    const missing = count - (this.receipts.length - this.next);
    if (missing > 0) this.receipts.push(...(await makeReceipts(missing, this.privateKey, "bench", this.kid)));
  }
}

async function pipeline(supply, options, inFlight, ms) {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  // As a service verifying SDK calls does: it names the structured call it will run.
  const expectations = { aud: "hitl-cli", intent: BENCH_INTENT };
  async function lane() {
    while (performance.now() < end) {
      if (supply.next >= supply.receipts.length) throw new Error("the bench ran out of pre-signed receipts");
      const r = supply.receipts[supply.next++];
      const verified = await verifyReceipt(r.receipt, expectations, options);
      if (!verified.nonceConsumed) throw new Error("nonce not consumed");
      n++;
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { n, ms: performance.now() - start };
}

/**
 * Runs two measurements in alternating slices (ABBA...) and returns both as rates per second,
 * with where each side's CPU went (`prepare`, e.g. signing more receipts, runs outside both).
 * `ratio` is the median of the per-round ratios b/a (each round is one slice of each side, back
 * to back); `pooled` is all of b's items per second over all of a's.
 */
async function interleaved(a, b, prepare = async () => {}) {
  const total = { a: { n: 0, ms: 0, cpu: emptyCpu() }, b: { n: 0, ms: 0, cpu: emptyCpu() } };
  const roundRatios = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rate = {};
    for (const side of round % 2 === 0 ? ["a", "b"] : ["b", "a"]) {
      await prepare();
      const before = cpuSnapshot();
      const { n, ms } = await (side === "a" ? a() : b());
      addCpu(total[side].cpu, before, cpuSnapshot());
      total[side].n += n;
      total[side].ms += ms;
      rate[side] = n / ms;
    }
    roundRatios.push(rate.b / rate.a);
  }
  const rateA = (total.a.n / total.a.ms) * 1000;
  const rateB = (total.b.n / total.b.ms) * 1000;
  return {
    a: rateA,
    b: rateB,
    ratio: median(roundRatios),
    pooled: rateB / rateA,
    roundRatios,
    cpu: { raw: cpuPerOp(total.a), pipeline: cpuPerOp(total.b) },
  };
}

function describe(run) {
  const rounds = run.roundRatios.map((r) => r.toFixed(2)).join(" ");
  return `median of rounds ${run.ratio.toFixed(3)}, pooled ${run.pooled.toFixed(3)} (rounds: ${rounds})`;
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Wall time of one run of `file args` (stdout and stderr piped, as a tool calling hitl does);
 * `input`, when given, is written to its stdin and the run must print nothing (a hook's "allow").
 */
function spawnMs(file, args, env, input) {
  const start = performance.now();
  const result = spawnSync(file, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"], env, input });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  if (input !== undefined && result.stdout.length > 0) throw new Error(`${file} ${args.join(" ")} did not allow: ${result.stdout}`);
  return ms;
}

/** The CLI entry tsc emits; bin/hitl starts it. */
const CLI_ENTRY = join(ROOT, "cli", "dist", "bin.cjs");

/**
 * `node -e 0` (the base) and each of `commands` in rounds, back to back, the order reversed
 * every other round: the median time of each and the median of its per-round ratios to the
 * base, so a burst of load from another tenant moves one round, not the figure.
 */
function startupTimes(runs, env, commands, nodeInput) {
  const all = { node: [process.execPath, ["-e", "0"], nodeInput], ...commands };
  const names = Object.keys(all);
  for (const name of names) spawnMs(all[name][0], all[name][1], env, all[name][2]);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  const ratios = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) times[name].push(spawnMs(all[name][0], all[name][1], env, all[name][2]));
    for (const name of names) ratios[name].push(times[name][i] / times.node[i]);
  }
  return Object.fromEntries(names.map((name) => [name, { ms: median(times[name]), ratio: median(ratios[name]) }]));
}

/**
 * Start-up with NODE_EXTRA_CA_CERTS unset for both sides (the figure) and set for both (the
 * caller's file, else the system bundle when there is one). `hitl` is cli/bin/hitl through a
 * symlink in a scratch directory, as installed; `direct` is node dist/bin.cjs without the sh.
 */
function startup(runs) {
  const scratch = mkdtempSync(join(tmpdir(), "hitl-bench-"));
  try {
    const link = join(scratch, "hitl");
    symlinkSync(join(ROOT, "cli", "bin", "hitl"), link);
    const commands = { hitl: [link, ["--version"]], direct: [process.execPath, [CLI_ENTRY, "--version"]] };
    return withAndWithoutCa((env) => startupTimes(runs, env, commands));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `measure` with NODE_EXTRA_CA_CERTS unset (plain, the figure) and set (withCa: the caller's
 * file, else the system bundle when there is one), for both sides alike.
 */
function withAndWithoutCa(measure, base = process.env) {
  const { NODE_EXTRA_CA_CERTS: caFile, ...unset } = base;
  const plain = measure(unset);
  const systemBundle = "/etc/ssl/certs/ca-certificates.crt";
  const ca = caFile ?? (existsSync(systemBundle) ? systemBundle : undefined);
  const withCa = ca === undefined ? undefined : measure({ ...unset, NODE_EXTRA_CA_CERTS: ca });
  return { plain, withCa, ca };
}

function describeStartup(label, times) {
  return `start-up ${label}: node -e 0 ${times.node.ms.toFixed(1)} ms, hitl --version ${times.hitl.ms.toFixed(1)} ms (ratio ${times.hitl.ratio.toFixed(3)}), node dist/bin.cjs --version ${times.direct.ms.toFixed(1)} ms (ratio ${times.direct.ratio.toFixed(3)})`;
}

/** A Claude Code PreToolUse call the default policy allows: what most tool calls look like. */
function allowedHookCall(cwd) {
  return JSON.stringify({
    session_id: "bench",
    transcript_path: join(cwd, "transcript.jsonl"),
    cwd,
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name: "Bash",
    tool_input: { command: "git status", description: "Show working tree status" },
    tool_use_id: "toolu_bench",
  });
}

/**
 * `node -e 0` and `node dist/bin.cjs hook claude-code` deciding an allowed call, in rounds like
 * start-up, with a config dir of its own (the default policy), without and with NODE_EXTRA_CA_CERTS.
 */
function hookAllowTimes(runs) {
  const dir = mkdtempSync(join(tmpdir(), "hitl-bench-hook-"));
  try {
    const { HITL_SECURE: _secure, ...base } = process.env;
    const env = { ...base, HITL_CONFIG_DIR: join(dir, "config"), HITL_STATE_DIR: join(dir, "state") };
    const commands = { hook: [process.execPath, [CLI_ENTRY, "hook", "claude-code"], allowedHookCall(dir)] };
    return withAndWithoutCa((runEnv) => startupTimes(runs, runEnv, commands, ""), env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeHook(label, times) {
  return `hook ${label}: node -e 0 ${times.node.ms.toFixed(1)} ms, hitl hook claude-code (allowed git status) ${times.hook.ms.toFixed(1)} ms (ratio ${times.hook.ratio.toFixed(3)})`;
}

/** cli/bench/gate-passthrough.mjs in its own process, NODE_EXTRA_CA_CERTS unset for every side. */
function gatePassthrough(calls) {
  const { NODE_EXTRA_CA_CERTS: _unset, ...env } = process.env;
  const run = spawnSync(process.execPath, [join(ROOT, "cli", "bench", "gate-passthrough.mjs"), String(calls)], { env, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`gate-passthrough.mjs exited ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/* ---------- main ---------- */

async function main() {
  const began = performance.now();
  const redis = await startRedis();
  redisChild = redis.child;
  await markInService(redis.port);
  log(`redis-server on 127.0.0.1:${redis.port} (pid ${redis.child.pid}); libuv pool: ${THREADPOOL_SIZE} threads`);
  try {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const raw = decodeBase64url(publicKey.export({ format: "jwk" }).x);
    const kid = keyIdFromPublicKey(raw);
    const keys = LocalKeyDirectory.fromPublicKey("bench", raw);
    const keyObject = createPublicKey({ key: publicKey.export({ format: "der", type: "spki" }), format: "der", type: "spki" });

    // Receipts for the next slice: twice what the fastest rate seen so far could consume.
    const supply = new ReceiptSupply(privateKey, kid);
    let fastest = 0;
    const refill = async () => {
      await supply.ensure(Math.ceil((fastest * SLICE_MS) / 1000) * 2 + 2000);
      settleYoungGeneration();
    };
    const timed = async (slice) => {
      const result = await slice();
      fastest = Math.max(fastest, (result.n / result.ms) * 1000);
      return result;
    };
    let t = performance.now();
    await supply.ensure(8000);
    const probe = rawSync(supply.receipts, keyObject, 200);
    fastest = (probe.n / probe.ms) * 1000 * 2; // about the two-core rate, before anything is measured
    log(`signed ${supply.receipts.length} receipts (distinct nonces) in ${Math.round(performance.now() - t)} ms`);

    const nonces = await RedisNonceStore.connect(`redis://127.0.0.1:${redis.port}`, { batchSize: BATCH, batchWindowMs: WINDOW_MS });
    let one;
    let two;
    let redisCpuMs;
    let measuredMs;
    try {
      const sync = { keys, nonces, signatureCheck: "sync" };
      const pooled = { keys, nonces, signatureCheck: "threadpool" };
      // Warm-up: JIT, key cache, Redis connection and script cache.
      rawSync(supply.receipts, keyObject, 200);
      await rawAsync(supply.receipts, keyObject, 200);
      await refill();
      await timed(() => pipeline(supply, sync, IN_FLIGHT_1CORE, 300));
      await refill();
      await timed(() => pipeline(supply, pooled, IN_FLIGHT, 300));

      const redisCpu0 = cpuMsOf(redis.child.pid);
      t = performance.now();
      one = await interleaved(
        async () => rawSync(supply.receipts, keyObject, SLICE_MS),
        () => timed(() => pipeline(supply, sync, IN_FLIGHT_1CORE, SLICE_MS)),
        refill,
      );
      log(`1 core:  raw ${Math.round(one.a)} verify/s, pipeline ${Math.round(one.b)} receipts/s -> ${describe(one)}`);
      two = await interleaved(
        () => rawAsync(supply.receipts, keyObject, SLICE_MS),
        () => timed(() => pipeline(supply, pooled, IN_FLIGHT, SLICE_MS)),
        refill,
      );
      log(`2 cores: raw ${Math.round(two.a)} verify/s, pipeline ${Math.round(two.b)} receipts/s -> ${describe(two)}`);
      for (const [name, run] of [
        ["1 core ", one],
        ["2 cores", two],
      ]) {
        for (const side of ["raw", "pipeline"]) {
          const c = run.cpu[side];
          log(
            `  ${name} ${side.padEnd(8)} CPU per item: main thread ${c.main_us} us, other threads ${c.other_threads_us} us, redis-server ${c.redis_us} us; machine idle ${c.machine_idle_pct}%`,
          );
        }
      }
      redisCpuMs = cpuMsOf(redis.child.pid) - redisCpu0;
      measuredMs = performance.now() - t;
    } finally {
      await nonces.close();
    }
    log(
      `receipts consumed: ${supply.consumed}; redis-server used ${redisCpuMs} ms CPU in ${Math.round(measuredMs)} ms (incl. signing between slices)`,
    );

    const start = startup(SPAWNS);
    log(`${describeStartup("without NODE_EXTRA_CA_CERTS", start.plain)} (medians of ${SPAWNS} rounds)`);
    if (start.withCa === undefined) log("start-up with NODE_EXTRA_CA_CERTS: not measured (no CA file here)");
    else log(describeStartup(`with NODE_EXTRA_CA_CERTS=${start.ca}`, start.withCa));
    const fixed = (value) => (value === undefined ? null : Number(value.toFixed(3)));

    const hook = hookAllowTimes(SPAWNS);
    log(`${describeHook("without NODE_EXTRA_CA_CERTS", hook.plain)} (medians of ${SPAWNS} rounds)`);
    if (hook.withCa !== undefined) log(describeHook(`with NODE_EXTRA_CA_CERTS=${hook.ca}`, hook.withCa));

    const gate = gatePassthrough(1000);
    log(
      `mcp-gate p50 tools/call: filesystem server direct ${gate.filesystem.direct_p50_ms} ms, gated ${gate.filesystem.gate_p50_ms} ms (x${gate.gate_passthrough_overhead}), bare relay ${gate.filesystem.relay_p50_ms} ms (x${gate.gate_relay_floor}); echo server direct ${gate.echo.direct_p50_ms} ms, gated ${gate.echo.gate_p50_ms} ms (x${gate.gate_passthrough_overhead_echo}), bare relay ${gate.echo.relay_p50_ms} ms (x${gate.gate_relay_floor_echo})`,
    );

    const result = {
      raw_1core_per_s: Math.round(one.a),
      pipeline_1core_per_s: Math.round(one.b),
      pipeline_vs_raw_1core: Number(one.ratio.toFixed(3)),
      pipeline_vs_raw_1core_pooled: Number(one.pooled.toFixed(3)),
      raw_2core_per_s: Math.round(two.a),
      pipeline_2core_per_s: Math.round(two.b),
      pipeline_vs_raw_2core: Number(two.ratio.toFixed(3)),
      pipeline_vs_raw_2core_pooled: Number(two.pooled.toFixed(3)),
      node_start_ms: Number(start.plain.node.ms.toFixed(1)),
      cli_start_ms: Number(start.plain.hitl.ms.toFixed(1)),
      cli_start_vs_node: fixed(start.plain.hitl.ratio),
      cli_direct_start_vs_node: fixed(start.plain.direct.ratio),
      cli_start_vs_node_ca: fixed(start.withCa?.hitl.ratio),
      cli_direct_start_vs_node_ca: fixed(start.withCa?.direct.ratio),
      hook_allow_ms: Number(hook.plain.hook.ms.toFixed(1)),
      hook_allow_vs_node: fixed(hook.plain.hook.ratio),
      hook_allow_vs_node_ca: fixed(hook.withCa?.hook.ratio),
      gate_passthrough_overhead: gate.gate_passthrough_overhead,
      gate_passthrough_overhead_echo: gate.gate_passthrough_overhead_echo,
      gate_relay_floor: gate.gate_relay_floor,
      gate_relay_floor_echo: gate.gate_relay_floor_echo,
      receipts_consumed: supply.consumed,
      redis_cpu_ms: redisCpuMs,
      rounds: ROUNDS,
      in_flight_1core: IN_FLIGHT_1CORE,
      in_flight_2core: IN_FLIGHT,
      threadpool_size: THREADPOOL_SIZE,
      redis_batch: BATCH,
      redis_window_ms: WINDOW_MS,
      cpu_per_item_1core: one.cpu,
      cpu_per_item_2core: two.cpu,
      total_s: Number(((performance.now() - began) / 1000).toFixed(1)),
    };
    console.log(`BENCH ${JSON.stringify(result)}`);
  } finally {
    await stopRedis(redis);
  }
}

let redisChild;

/**
 * Runs this script again with UV_THREADPOOL_SIZE set (a value already given is kept) and
 * `--expose-gc` (settleYoungGeneration); signals go on to it, its exit code is ours.
 */
function rerunPrepared() {
  const child = spawn(process.execPath, [...process.execArgv, "--expose-gc", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(availableParallelism()) },
  });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
}

if (process.env.UV_THREADPOOL_SIZE === undefined || typeof globalThis.gc !== "function") {
  rerunPrepared();
} else {
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      if (redisChild?.exitCode === null) process.kill(redisChild.pid, "SIGTERM");
      process.exit(130);
    });
  }
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
