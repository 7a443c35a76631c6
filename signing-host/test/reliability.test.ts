import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHostSecret } from "@hitl/verifier";
import type { Receipt } from "@hitl/verifier/protocol";
import { EXTENSION_HELLO, makeApprover, makeChallenge, receiptSignedBy, signReceipt } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BrowserSide, freePort } from "./lib/browser-side.js";
import { jsonPost, rawRequest } from "./lib/http.js";

/*
 * Reliability figures of a real host process under load: real stdio framing, real HTTP on a
 * random port, this test playing the browser. Each test prints one `figure:` line. Sizes fit CI;
 * `pnpm soak` (HITL_SOAK=1) runs the large ones.
 *
 * The shipped host keeps at most 16 approvals waiting (4 per process) and 256 connections; these
 * tests run the same process code (host-process.ts) with room for their load, because they
 * measure routing and memory at that load, not the bounds (pending-requests.test.ts,
 * connection-cap.test.ts and cli/test/host-flood.test.ts do).
 */

const SOAK = process.env.HITL_SOAK === "1";
const CONCURRENT_SIGNS = SOAK ? 500 : 100;
const PENDING_APPROVALS = SOAK ? 1000 : 300;
const HEALTH_PROBES = SOAK ? 200 : 50;
/** Each new connection costs the host one read of the machine's TCP table (peer-identity.ts). */
const LOAD_TIMEOUT_MS = SOAK ? 240_000 : 30_000;
/** Approvals sent at once while they pile up (see the pending test). */
const WAVE = 100;
const TEST_TIMEOUT_MS = SOAK ? 300_000 : 60_000;
/** The goal for the host's resident memory while it holds 1,000 approvals (reported, not met yet). */
const RSS_GOAL_BYTES = 80 * 1024 * 1024;
/**
 * What one waiting approval may add to the host's resident memory (a connection, its request and
 * reply, the pending entry, and garbage not yet collected: 60-130 KB measured): more means
 * something is kept that should not be.
 */
const MAX_BYTES_PER_PENDING = 256 * 1024;

let stateDir: string;
let browser: BrowserSide | undefined;

beforeEach(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "hitl-reliability-"));
  await createHostSecret(join(stateDir, "config", "host-secret"));
});

afterEach(async () => {
  await browser?.stop();
  browser = undefined;
  rmSync(stateDir, { recursive: true, force: true });
});

/** A host with room for `load` approvals and connections, connected (extension.hello answered). */
async function hostFor(load: number): Promise<{ browser: BrowserSide; port: number }> {
  const port = await freePort();
  browser = BrowserSide.launchWithServerOptions(
    { HITL_PORT: String(port), HITL_STATE_DIR: stateDir, HITL_CONFIG_DIR: join(stateDir, "config") },
    { pendingLimits: { maxPerPeer: load, maxTotal: load + 1, reservedForNewPeers: 0 }, maxConnections: load + 16 },
  );
  await browser.next("host.hello");
  browser.send(EXTENSION_HELLO);
  const deadline = Date.now() + 5_000;
  while (!readFileSync(join(stateDir, "signing-host.log"), "utf8").includes("extension.connected")) {
    if (Date.now() > deadline) throw new Error("the host never processed extension.hello");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { browser, port };
}

/** Ten minutes to live: on a loaded machine a soak's approvals take minutes to pile up. */
function longLived(summary: string) {
  const now = Math.floor(Date.now() / 1000);
  return makeChallenge({ action: { summary }, exp: now + 600 });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (value: number) => `${value.toFixed(1)}ms`;

/** Resident and peak resident memory of a process, from /proc (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1]) * 1024;
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)}MB`;

describe("reliability figures of the signing host", () => {
  it(
    `${CONCURRENT_SIGNS} concurrent POST /sign: every answer is the receipt of its own challenge, none lost or duplicated`,
    async () => {
      const approver = makeApprover();
      const { browser, port } = await hostFor(CONCURRENT_SIGNS);
      const challenges = Array.from({ length: CONCURRENT_SIGNS }, (_, i) => makeChallenge({ action: { summary: `request ${i}` } }));

      // The browser side answers each sign.request after its own random delay, so the answers go
      // back to the host in another order than the requests came.
      const seenByBrowser: string[] = [];
      const browserDone = (async () => {
        const answers: Promise<void>[] = [];
        for (let i = 0; i < CONCURRENT_SIGNS; i++) {
          const request = await browser.next("sign.request", LOAD_TIMEOUT_MS);
          const challenge = request.challenge as (typeof challenges)[number];
          seenByBrowser.push(challenge.id);
          answers.push(
            new Promise<void>((resolve) =>
              setTimeout(() => {
                browser.send({
                  type: "sign.result",
                  requestId: request.requestId,
                  receipt: signReceipt(challenge, approver, { decision: "approve" }),
                });
                resolve();
              }, Math.random() * 50),
            ),
          );
        }
        await Promise.all(answers);
      })();

      const started = performance.now();
      const results = await Promise.all(
        challenges.map(async (challenge) => {
          const sent = performance.now();
          const answer = await jsonPost(port, "/sign", { challenge }).catch((error: Error) => error);
          return { challenge, answer, ms: performance.now() - sent };
        }),
      );
      const wallMs = performance.now() - started;
      await browserDone;

      const failed = results.filter((r) => r.answer instanceof Error || r.answer.status !== 200);
      const receipts = results.flatMap((r) =>
        r.answer instanceof Error || r.answer.status !== 200 ? [] : [{ ...r, receipt: r.answer.json().receipt as Receipt }],
      );
      const mismatched = receipts.filter((r) => r.receipt.challenge.id !== r.challenge.id || !receiptSignedBy(r.receipt, approver));
      const answeredIds = receipts.map((r) => r.receipt.challenge.id);
      const duplicated = answeredIds.length - new Set(answeredIds).size + (seenByBrowser.length - new Set(seenByBrowser).size);
      const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
      console.log(
        `figure: sign_concurrency_${CONCURRENT_SIGNS} lost=${failed.length} dup=${duplicated} mismatched=${mismatched.length} ` +
          `p50=${ms(percentile(latencies, 50))} p99=${ms(percentile(latencies, 99))} wall=${ms(wallMs)}`,
      );
      expect(failed.map((r) => (r.answer instanceof Error ? r.answer.message : r.answer.body))).toEqual([]);
      expect(mismatched).toEqual([]);
      expect(duplicated).toBe(0);
      expect(new Set(answeredIds)).toEqual(new Set(challenges.map((c) => c.id)));
      expect(browser.received.filter((m) => m.type === "sign.request")).toEqual([]); // no request sent twice
      expect(browser.leftoverBytes).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    `${PENDING_APPROVALS} pending approvals: the host's memory and GET /health latency while they wait`,
    async () => {
      const { browser, port } = await hostFor(PENDING_APPROVALS);
      const baseline = memoryOf(browser.child.pid!);
      const status = { keyPresent: true, keyPolicy: "persistent", pending: PENDING_APPROVALS };
      // The browser side keeps every approval waiting and answers status requests at once.
      browser.child.stdout.on("data", () => {
        for (
          let i = browser.received.findIndex((m) => m.type === "status.request");
          i >= 0;
          i = browser.received.findIndex((m) => m.type === "status.request")
        ) {
          const [request] = browser.received.splice(i, 1);
          browser.send({ type: "status.result", requestId: request!.requestId, status });
        }
      });

      const controller = new AbortController();
      // In waves of WAVE: each new connection costs the host a synchronous read of the machine's
      // TCP table (peer-identity.ts), so 1,000 at once starve its event loop until the slowest
      // request misses the 10 s arrival limit (ERR_REQUEST_TOO_SLOW) — a burst figure, not this one.
      const waiting: Array<Promise<unknown>> = [];
      for (let start = 0; start < PENDING_APPROVALS; start += WAVE) {
        const wave = Math.min(WAVE, PENDING_APPROVALS - start);
        for (let i = start; i < start + wave; i++) {
          waiting.push(jsonPost(port, "/sign", { challenge: longLived(`pending ${i}`) }, controller.signal).catch((error: Error) => error));
        }
        for (let i = 0; i < wave; i++) await browser.next("sign.request", LOAD_TIMEOUT_MS);
      }

      const latencies: number[] = [];
      for (let i = 0; i < HEALTH_PROBES; i++) {
        const sent = performance.now();
        const health = await rawRequest(port, { method: "GET", path: "/health" });
        latencies.push(performance.now() - sent);
        expect(health.status).toBe(200);
        expect(health.json().extension).toMatchObject({ connected: true, pending: PENDING_APPROVALS });
      }
      latencies.sort((a, b) => a - b);
      const held = memoryOf(browser.child.pid!);
      console.log(
        `figure: pending_${PENDING_APPROVALS} rss=${mib(held.rss)} peak_rss=${mib(held.peak)} idle_rss=${mib(baseline.rss)} ` +
          `per_pending=${((held.peak - baseline.rss) / PENDING_APPROVALS / 1024).toFixed(1)}KB ` +
          `health_p50=${ms(percentile(latencies, 50))} health_p99=${ms(percentile(latencies, 99))} ` +
          `rss_goal=${mib(RSS_GOAL_BYTES)} goal_met=${held.peak <= RSS_GOAL_BYTES ? "yes" : "no"}`,
      );
      expect(held.rss - baseline.rss).toBeLessThanOrEqual(PENDING_APPROVALS * MAX_BYTES_PER_PENDING);

      // Still pending: nothing was answered while the figures were taken.
      expect(
        await Promise.race([
          Promise.any(waiting).then(() => "answered"),
          new Promise((resolve) => setTimeout(() => resolve("pending"), 50)),
        ]),
      ).toBe("pending");
      controller.abort();
      await Promise.all(waiting);
    },
    TEST_TIMEOUT_MS,
  );
});
