import type { ChildProcess } from "node:child_process";
import { keycloakRealm } from "@hitl/verifier";
import { makeApprover, makeChallenge, signReceipt } from "@hitl/verifier/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHitlServer, stop } from "./helpers/hitl-process.js";
import { presentForVerification, registerKey } from "./helpers/over-http.js";
import { clientToken, startTeam, type Team } from "./helpers/team.js";

/*
 * Two `hitl server` processes (the real CLI, `node cli/dist/bin.js server`, over real HTTP) on one
 * real redis-server with a password and a prefix: single use holds across verifiers.
 * Needs `pnpm build` first (the CLI's dist).
 */

const PASSWORD = "pw-two-servers";
let team: Team;
const servers: Array<{ child: ChildProcess; url: string }> = [];

beforeAll(async () => {
  team = await startTeam([{ username: "alice", password: PASSWORD, realmRoles: [keycloakRealm.APPROVER_ROLE] }]);
  servers.push(await startHitlServer(team.env), await startHitlServer(team.env));
}, 60_000);
afterAll(async () => {
  for (const server of servers) await stop(server.child);
  await team?.stop();
});

describe("two hitl server processes on one Redis", () => {
  it("1,000 concurrent presentations of one receipt, spread over both: exactly one 200, every other 422 ERR_REPLAYED", async () => {
    const a = servers[0]!;
    const b = servers[1]!;
    const key = makeApprover(team.kc.adminHelpers.userByUsername("alice")!.id);
    await registerKey(team, a.url, { username: "alice", password: PASSWORD }, key);

    const token = await clientToken(team.kc, keycloakRealm.VERIFIER_CLIENT_ID, team.kc.verifierClientSecret);
    const body = JSON.stringify({ receipt: signReceipt(makeChallenge({ aud: "payments" }), key), expected: { aud: "payments" } });
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const response = await presentForVerification((i % 2 === 0 ? a : b).url, token, body);
        return {
          status: response.status,
          server: i % 2,
          body: (await response.json()) as { code?: string; approver?: { username: string } },
        };
      }),
    );
    const elapsedMs = Math.round(performance.now() - started);
    const accepted = replies.filter((r) => r.status === 200);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.body.approver).toMatchObject({ username: "alice" });
    const refused = replies.filter((r) => r.status !== 200);
    expect(new Set(refused.map((r) => `${r.status} ${r.body.code}`))).toEqual(new Set(["422 ERR_REPLAYED"]));
    expect(refused).toHaveLength(999);
    // Both processes answered (and refused) presentations.
    expect(new Set(refused.map((r) => r.server))).toEqual(new Set([0, 1]));
    console.log(`1000 presentations over 2 hitl server processes: ${elapsedMs} ms`);
  }, 60_000);
});
