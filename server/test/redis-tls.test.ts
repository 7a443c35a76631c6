import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keycloakRealm } from "@hitl/verifier";
import { makeApprover, makeChallenge, signReceipt } from "@hitl/verifier/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../verifier/test/helpers/redis-server.js";
import { startHitlServer, stop } from "./helpers/hitl-process.js";
import { presentForVerification, registerKey } from "./helpers/over-http.js";
import { clientToken, REDIS_PASSWORD, seedEpochs, startTeam, type Team } from "./helpers/team.js";
import { selfSignedCertificate } from "./helpers/tls.js";

/*
 * HITL_REDIS_URL=rediss://: a real redis-server serving TLS only (its plain port off), with a
 * password, a certificate made for the test; the hitl server verifies Redis's certificate (an
 * unknown CA refuses to start) and works end to end through it.
 */

const PASSWORD = "pw-tls";
let dir: string;
let certificate: { cert: string; key: string };
let redisTls: ChildProcess;
let tlsUrl: string;
let team: Team;
const started: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hitl-redis-tls-"));
  certificate = selfSignedCertificate(dir, "127.0.0.1");
  const port = await freePort();
  redisTls = spawn(
    "redis-server",
    [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--tls-cert-file",
      certificate.cert,
      "--tls-key-file",
      certificate.key,
      "--tls-auth-clients",
      "no",
      "--requirepass",
      REDIS_PASSWORD,
      "--save",
      "",
      "--appendonly",
      "no",
    ],
    { stdio: "ignore" },
  );
  tlsUrl = `rediss://:${REDIS_PASSWORD}@127.0.0.1:${port}`;
  team = await startTeam([{ username: "alice", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] }]);
  // Wait for the TLS port, then put the stores in steady state (as helpers/team.ts does for plain Redis).
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await seedEpochs(tlsUrl, team.prefix, Date.now() - 7_200_000, { tls: { ca: certificate.cert } }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error("redis-server with TLS did not answer");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 60_000);
afterAll(async () => {
  for (const child of started) await stop(child);
  if (redisTls !== undefined) await stop(redisTls);
  await team?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("HITL_REDIS_URL=rediss:// (TLS + password)", () => {
  it("refuses to start when Redis's certificate is not trusted (ERR_NONCE_STORE_UNAVAILABLE), without printing the password", async () => {
    const error = await startHitlServer({ ...team.env, HITL_REDIS_URL: tlsUrl, NODE_EXTRA_CA_CERTS: "" }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/ERR_NONCE_STORE_UNAVAILABLE/);
    expect((error as Error).message).toMatch(/certificate/i);
    expect((error as Error).message).not.toContain(REDIS_PASSWORD);
  });

  it("with the CA trusted: health, registration and single use work through TLS", async () => {
    const server = await startHitlServer({ ...team.env, HITL_REDIS_URL: tlsUrl, NODE_EXTRA_CA_CERTS: certificate.cert });
    started.push(server.child);
    const health = await fetch(`${server.url}/v1/health`);
    expect(await health.json()).toMatchObject({ status: "ok", redis: "ok" });
    const key = makeApprover(team.kc.adminHelpers.userByUsername("alice")!.id);
    await registerKey(team, server.url, { username: "alice", password: PASSWORD }, key);
    const token = await clientToken(team.kc, keycloakRealm.VERIFIER_CLIENT_ID, team.kc.verifierClientSecret);
    const body = JSON.stringify({ receipt: signReceipt(makeChallenge({ aud: "payments" }), key), expected: { aud: "payments" } });
    const present = () => presentForVerification(server.url, token, body);
    expect((await present()).status).toBe(200);
    const again = await present();
    expect({ status: again.status, body: await again.json() }).toMatchObject({ status: 422, body: { code: "ERR_REPLAYED" } });
  });
});
