#!/usr/bin/env node
/*
 * Micro-benchmark of the verification hot path without I/O: parseReceiptJson + verifyReceipt
 * (offline audit, cached key, signature on the main thread) over N distinct pre-signed receipts
 * given as JSON text. Usage, after `pnpm build`:
 *   node verifier/bench/parse-verify.js [distDir[,otherDistDir]] [N=10000] [rounds=9]
 * distDir defaults to verifier/dist. With two builds (e.g. this one and main's), both run in one
 * process on the same receipts, alternating slice by slice so that load from other tenants of the
 * machine hits both alike; each figure is the median receipts per CPU-second over the rounds, with
 * the median of the per-round ratios (second / first).
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dists = (process.argv[2] ?? join(here, "..", "dist")).split(",").map((d) => resolve(d));
const N = Number(process.argv[3] ?? 10_000);
const ROUNDS = Number(process.argv[4] ?? 9);
// The verifier's API and the protocol module's (parsers, signing input) from each build.
const load = async (d) => ({
  ...(await import(pathToFileURL(join(d, "index.js")).href)),
  ...(await import(pathToFileURL(join(d, "protocol", "index.js")).href)),
});
const libs = await Promise.all(dists.map(load));
const lib = libs[0];

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const raw = lib.decodeBase64url(publicKey.export({ format: "jwk" }).x);
const kid = lib.keyIdFromPublicKey(raw);
const now = 1_767_225_600;

const texts = [];
for (let i = 0; i < N; i++) {
  const action = { summary: `delete /tmp/file-${i}`, details: { path: `/tmp/file-${i}`, recursive: false, size: 1024 + i } };
  const challenge = {
    v: 1,
    id: randomUUID(),
    nonce: lib.encodeBase64url(randomBytes(32)),
    aud: "hitl-cli",
    iat: now - 5,
    exp: now + 120,
    action,
    intent: lib.intentDigest(action),
    requester: { tool: "hitl-cli", host: "bench", pid: 4242, cwd: "/home/alice/project" },
  };
  const statement = { v: 1, decision: "approve", challenge: lib.challengeDigest(challenge), sub: "alice", kid, decidedAt: now };
  const sig = lib.encodeBase64url(sign(null, lib.signingInput("decision", statement), privateKey));
  texts.push(JSON.stringify({ v: 1, challenge, statement, sig, kid }));
}

const options = { nonces: "offline-audit", clock: () => now * 1000 };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// CPU time of this process, not wall time: time other tenants of the machine take from it is
// not counted (the machine is shared; wall-clock figures moved by ±40% between runs).
const clock = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const rate = (t) => N / ((clock() - t) / 1e6);
const verifyRates = libs.map(() => []);
const parseRates = libs.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < libs.length; k++) {
    // Alternate which build goes first, so neither always runs on a warmer or colder machine.
    const i = round % 2 === 0 ? k : libs.length - 1 - k;
    const l = libs[i];
    const dirKeys = l.LocalKeyDirectory.fromPublicKey("alice", raw);
    let t = clock();
    for (const text of texts) l.parseReceiptJson(text);
    parseRates[i].push(rate(t));
    t = clock();
    for (const text of texts) await l.verifyReceipt(text, { aud: "hitl-cli" }, { ...options, keys: dirKeys });
    verifyRates[i].push(rate(t));
  }
}
const result = dists.map((dist, i) => ({
  dist,
  parsePerSecond: Math.round(median(parseRates[i])),
  verifyPerSecond: Math.round(median(verifyRates[i])),
}));
const ratios =
  libs.length === 2
    ? {
        parseRatio: +median(parseRates[1].map((r, j) => r / parseRates[0][j])).toFixed(3),
        verifyRatio: +median(verifyRates[1].map((r, j) => r / verifyRates[0][j])).toFixed(3),
      }
    : {};
process.stdout.write(`BENCH ${JSON.stringify({ n: N, rounds: ROUNDS, result, ...ratios })}\n`);
