import { readFile, stat, writeFile } from "node:fs/promises";
import { signPairing, signReceipt } from "@hitl/verifier/testing";
import { describe, expect, it } from "vitest";
import { freePort } from "./helpers/peer-host.js";
import { realHostFixture } from "./helpers/real-host.js";
import { runCli, runCliWithInput, startCli } from "./helpers/run-cli.js";

/*
 * `hitl request` / `hitl pair` through the real signing host process (signing-host/dist/main.js)
 * over real HTTP, with this test playing the extension on the host's stdio (real native-messaging
 * framing) and signing with a real Ed25519 key.
 */

const fx = realHostFixture();

describe("through the real signing host", () => {
  it("approve -> 0, signed deny -> 1", async () => {
    await fx.pairAlice();
    let decision: "approve" | "deny" = "approve";
    const env = await fx.start((message, peer) => {
      if (message.type === "sign.request") {
        peer.send({ type: "sign.result", requestId: message.requestId, receipt: signReceipt(message.challenge, fx.alice, { decision }) });
      }
    });
    const approved = await runCli(["request", "--action", "delete /tmp/testfile"], env);
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^APPROVED — signature verified\nUser: alice \(key [0-9a-f ]{19}\)\nChallenge: [A-Za-z0-9_-]{12}…\n$/);

    decision = "deny";
    const denied = await runCli(["request", "--action", "delete /tmp/testfile", "--json"], env);
    expect(denied.code).toBe(1);
    expect(JSON.parse(denied.stdout)).toMatchObject({ decision: "deny", code: "ERR_DENIED", approver: { sub: "alice" } });
  });

  it("no decision before expiry -> 2 (the host answers 408)", async () => {
    await fx.pairAlice();
    const env = await fx.start(() => {});
    // --timeout 2: times are whole seconds (iat = floor(now)), so a 1 s challenge may already be
    // expired when it reaches the host, which then refuses it (400 ERR_EXPIRED) without showing it.
    const run = await runCli(["request", "--action", "delete /tmp/testfile", "--timeout", "2", "--json"], env);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "timeout", code: "ERR_TIMEOUT" });
    // The window was shown for the challenge the CLI made.
    expect(fx.host.received.some((m) => m.type === "sign.request")).toBe(true);
  });

  it("Ctrl-C -> 1, and the host tells the extension to withdraw that request", async () => {
    await fx.pairAlice();
    let requestId = "";
    let onShown: () => void = () => {};
    const shown = new Promise<void>((resolve) => {
      onShown = resolve;
    });
    const env = await fx.start((message) => {
      if (message.type === "sign.request") {
        requestId = message.requestId;
        onShown();
      }
    });
    const cli = startCli(["request", "--action", "delete /tmp/testfile"], env);
    await shown;
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^hitl: ERR_WITHDRAWN: /);
    for (let i = 0; i < 100 && !fx.host.received.some((m) => m.type === "request.withdraw"); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(fx.host.received).toContainEqual({ type: "request.withdraw", requestId });
  });

  it("the extension's own error (no key) comes through with its code -> 3", async () => {
    await fx.pairAlice();
    const message = "The browser extension has no signing key yet: pair first: run `hitl pair`.";
    const env = await fx.start((m, peer) => {
      if (m.type === "sign.request") peer.send({ type: "request.error", requestId: m.requestId, error: { code: "ERR_NO_KEY", message } });
    });
    const run = await runCli(["request", "--action", "delete /tmp/testfile"], env);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`hitl: ERR_NO_KEY: ${message}\n`);
  });

  it("pair: proof of possession checked, approver stored 0600, then request verifies with it", async () => {
    const env = await fx.start((message, peer) => {
      if (message.type === "pair.request") {
        peer.send({ type: "pair.result", requestId: message.requestId, pairing: signPairing(message.request, fx.alice) });
      } else if (message.type === "sign.request") {
        peer.send({
          type: "sign.result",
          requestId: message.requestId,
          receipt: signReceipt(message.challenge, fx.alice, { decision: "approve" }),
        });
      }
    });
    // The test plays the window too: it signed WINDOW_CODE ("KPTWRM"), which the human types.
    const paired = await runCliWithInput(["pair", "--name", "alice"], env, "KPT-WRM\n");
    expect(paired.stderr).toBe("");
    expect(paired.code).toBe(0);
    const pairRequest = fx.host.received.find((m) => m.type === "pair.request");
    expect(pairRequest?.type === "pair.request" && pairRequest.request.subject).toBe("alice");
    const code = pairRequest?.type === "pair.request" ? pairRequest.request.code : "";
    expect(paired.stdout).toBe(
      `Pairing code: ${code} — check that your browser shows the same code, then click Pair there\nType the code the pairing window now shows (six letters, like KPT-WRM; no window showed one? Ctrl-C, do not guess): \nPAIRED — alice (key ${fingerprint(fx.alice.kid)})\n`,
    );

    const file = `${fx.dirs.env.HITL_CONFIG_DIR}/approvers.json`;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, "utf8")) as { v: number; approvers: unknown[] };
    expect(stored).toEqual({
      v: 1,
      approvers: [{ sub: "alice", kid: fx.alice.kid, publicKey: fx.alice.publicKeyText, pairedAt: expect.any(Number) }],
    });

    const approved = await runCli(["request", "--action", "delete /tmp/testfile"], env);
    expect(approved.code).toBe(0);
  });
});

describe("a replay store that cannot record a nonce is found before anyone is asked", () => {
  /** What the host passed on to the extension besides its own handshake: windows opened, requests shown. */
  const asked = (): string[] => fx.host.received.map((m) => m.type).filter((type) => type !== "host.hello" && type !== "status.request");
  const unwritable = (dir: string, code: string) =>
    `hitl: ERR_NONCE_STORE_UNAVAILABLE: The replay store ${dir}/nonces cannot record nonces (${code}), so no approval is requested. Make that directory writable (or remove what stands in its place), or set HITL_STATE_DIR to a writable directory.\n`;

  it("HITL_STATE_DIR a regular file, under /proc, or refusing files: exit 3 within a second, the host sees nothing", async () => {
    await fx.pairAlice();
    const env = await fx.start((message, peer) => {
      if (message.type === "sign.request") {
        peer.send({
          type: "sign.result",
          requestId: message.requestId,
          receipt: signReceipt(message.challenge, fx.alice, { decision: "approve" }),
        });
      }
    });
    const file = `${fx.dirs.root}/not-a-directory`;
    await writeFile(file, "x");
    for (const [stateDir, code] of [
      [file, "ENOTDIR"],
      ["/proc/nope", "ENOENT"],
      ["/sys", "EPERM"],
    ] as const) {
      const run = await runCli(["request", "--action", "delete /tmp/testfile"], { ...env, HITL_STATE_DIR: stateDir });
      expect(run.stderr).toBe(unwritable(stateDir, code));
      expect(run.code).toBe(3);
      expect(run.ms).toBeLessThan(1000);
      expect(asked()).toEqual([]);
    }
    // The same request with a working store is asked (the check above can fail).
    const approved = await runCli(["request", "--action", "delete /tmp/testfile"], env);
    expect(approved.code).toBe(0);
    expect(asked()).toEqual(["sign.prepare", "sign.request"]);
  });

  it("HITL_REDIS_URL pointing at nothing: exit 3, the check adding under a second, the host sees nothing", async () => {
    await fx.pairAlice();
    const env = await fx.start(() => {});
    const redisPort = await freePort();
    const run = await runCli(["request", "--action", "delete /tmp/testfile", "--json"], {
      ...env,
      HITL_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "error",
      code: "ERR_NONCE_STORE_UNAVAILABLE",
      message: `The replay store (Redis at redis://127.0.0.1:${redisPort}) is unavailable (connect ECONNREFUSED 127.0.0.1:${redisPort}), so no approval can be recorded. Start Redis or fix HITL_REDIS_URL, then request a new approval.`,
    });
    // The refusal itself takes milliseconds; loading the Redis client doubles the command's CPU
    // time (~0.4 s against ~0.2 s), so on a busy machine the bound is on what the check adds to a
    // run that fails before any store is opened.
    const baseline = await runCli(["request", "--action", "delete /tmp/testfile"], { ...env, HITL_STATE_DIR: "/proc/nope" });
    expect(baseline.code).toBe(3);
    expect(run.ms - baseline.ms).toBeLessThan(1000);
    expect(asked()).toEqual([]);
  });
});

function fingerprint(kid: string): string {
  const hex = Buffer.from(kid, "base64url").subarray(0, 8).toString("hex");
  return hex.match(/.{4}/g)!.join(" ");
}
