import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { addApprover, PAIRING_CODE_PATTERN, type PairingRequest, parsePairRequestBody } from "@hitl/verifier";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeApprover, signPairing } from "./helpers/approver-key.js";
import { type PeerAnswer, type PeerHost, startPeerHost } from "./helpers/peer-host.js";
import { isolatedDirs, runCli } from "./helpers/run-cli.js";

/* `hitl pair` as a real process against a real HTTP peer holding a real Ed25519 key. */

let dirs: Awaited<ReturnType<typeof isolatedDirs>>;
let peer: PeerHost | undefined;

beforeEach(async () => {
  dirs = await isolatedDirs();
});

afterEach(async () => {
  await peer?.close();
  peer = undefined;
  await dirs.cleanup();
});

async function withPeer(answer: (request: PairingRequest) => PeerAnswer): Promise<Record<string, string>> {
  peer = await startPeerHost((request) => answer(parsePairRequestBody(request.body).request), { secretFile: dirs.secretFile });
  return { ...dirs.env, HITL_PORT: String(peer.port) };
}

const approversFile = () => `${dirs.env.HITL_CONFIG_DIR}/approvers.json`;

describe("hitl pair", () => {
  it("shows a CSPRNG code, checks proof of possession, and stores the approver 0600 in a 0700 dir", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(bob, request) } }));
    const run = await runCli(["pair", "--name", "bob", "--aud", "deploy-bot", "--timeout", "60"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const request = parsePairRequestBody(peer!.requests[0]!.body).request;
    expect(request.code).toMatch(PAIRING_CODE_PATTERN);
    expect(request).toMatchObject({ subject: "bob", aud: "deploy-bot", requester: { tool: "hitl-cli" } });
    expect(request.exp - request.iat).toBe(60);
    expect(run.stdout.split("\n")[0]).toBe(`Pairing code: ${request.code} — confirm it in your browser and click Pair`);
    expect(run.stdout.split("\n")[1]).toMatch(/^PAIRED — bob \(key [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4} [0-9a-f]{4}\)$/);

    expect((await stat(approversFile())).mode & 0o777).toBe(0o600);
    expect((await stat(dirs.env.HITL_CONFIG_DIR!)).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as unknown;
    expect(stored).toEqual({ v: 1, approvers: [{ sub: "bob", kid: bob.kid, publicKey: bob.publicKey, pairedAt: expect.any(Number) }] });
  });

  it("keeps the approvers already paired", async () => {
    const carol = makeApprover("carol");
    await addApprover(approversFile(), carol.record);
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(bob, request) } }));
    const run = await runCli(["pair", "--name", "bob", "--json"], env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "paired",
      approver: { sub: "bob", kid: bob.kid, fingerprint: expect.stringMatching(/^[0-9a-f ]{19}$/), publicKey: bob.publicKey },
      approversFile: approversFile(),
    });
    // In --json mode the code still reaches the human, on stderr.
    expect(run.stderr).toMatch(/^Pairing code: \d{3}-\d{3} — confirm it in your browser and click Pair\n$/);
    const stored = JSON.parse(await readFile(approversFile(), "utf8")) as { approvers: { sub: string }[] };
    expect(stored.approvers.map((a) => a.sub)).toEqual(["carol", "bob"]);
  });

  it("refuses a pairing signed with the decision prefix (a cross-protocol signature): exit 3, nothing stored", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(bob, request, "decision") } }));
    const run = await runCli(["pair", "--name", "bob"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "hitl: ERR_BAD_SIGNATURE: The pairing signature does not verify with the key it carries, so possession of the key is not proven. Run `hitl pair` again.\n",
    );
    await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a pairing that answers another request (exit 3)", async () => {
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(bob, { ...request, code: "000-000" }) } }));
    const run = await runCli(["pair", "--name", "bob", "--json"], env);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "error", code: "ERR_CHALLENGE_MISMATCH" });
    await expect(stat(approversFile())).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a refusal in the browser exits 1; expiry exits 2", async () => {
    const refused = "You did not confirm the pairing in the browser. Run `hitl pair` again and click Pair if the codes match.";
    let env = await withPeer(() => ({ status: 403, body: { error: { code: "ERR_PAIRING_REJECTED", message: refused } } }));
    const run = await runCli(["pair", "--name", "bob"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`hitl: ERR_PAIRING_REJECTED: ${refused}\n`);
    await peer!.close();

    env = await withPeer(() => ({ status: 408, body: { error: { code: "ERR_TIMEOUT", message: "Nobody clicked Pair in time." } } }));
    const late = await runCli(["pair", "--name", "bob", "--json"], env);
    expect(late.code).toBe(2);
    expect(JSON.parse(late.stdout)).toEqual({ decision: "timeout", code: "ERR_TIMEOUT", message: "Nobody clicked Pair in time." });
  });

  it("an insecure approvers file is not overwritten (exit 3)", async () => {
    await mkdir(dirs.env.HITL_CONFIG_DIR!, { recursive: true, mode: 0o700 });
    await writeFile(approversFile(), JSON.stringify({ v: 1, approvers: [] }), { mode: 0o666 });
    await chmod(approversFile(), 0o666);
    const bob = makeApprover("bob");
    const env = await withPeer((request) => ({ status: 200, body: { pairing: signPairing(bob, request) } }));
    const run = await runCli(["pair", "--name", "bob"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^hitl: ERR_APPROVERS_FILE_INSECURE: /);
  });
});
