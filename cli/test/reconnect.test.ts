import { randomUUID } from "node:crypto";
import { requestApproval } from "@hitl/sdk";
import type { Challenge, HostToExtension, Receipt } from "@hitl/verifier";
import { canonicalize, parseSignRequestBody } from "@hitl/verifier/protocol";
import { signReceipt } from "@hitl/verifier/testing";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, type PeerAnswer, type PeerHost, startPeerHost } from "./helpers/peer-host.js";
import { approverFixture, type RealHost, startRealHost } from "./helpers/real-host.js";
import { startCli } from "./helpers/run-cli.js";

/*
 * The browser side going away between the request and the click (MV3 stopped the extension's
 * service worker: its native port closes, the host process ends; the click restarts both). A
 * request that was delivered is re-sent, byte for byte, until the browser is back or the
 * challenge expires. Real `hitl request` processes against the real signing host process (the
 * test plays the extension over real stdio framing) and against a raw HTTP peer for the
 * byte-level and failure cases.
 */

const SIGN_DISCONNECTED =
  "The browser side of the signing host went away while the approval request was pending (the extension's service worker stopped or the browser closed); nothing was signed here. The approval window stays open: hitl request re-sends the same challenge when the browser reconnects; other clients should re-send it too.";

const fx = approverFixture({ paired: true });
const hosts: RealHost[] = [];
let peer: PeerHost | undefined;

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.stop();
  await peer?.close();
  peer = undefined;
});

async function realHost(env: Record<string, string>, onMessage: (message: HostToExtension, host: RealHost) => void): Promise<RealHost> {
  const host = await startRealHost({ env, status: fx.status(), onMessage });
  hosts.push(host);
  return host;
}

function exited(host: RealHost): Promise<void> {
  if (host.child.exitCode !== null || host.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => host.child.once("exit", () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

const ACTION = ["request", "--action", "delete /tmp/testfile", "--json"];

describe("through the real signing host: the browser side goes away after the request was delivered", () => {
  it("re-sends the identical challenge to the next host the browser starts; approve -> 0", async () => {
    const port = await freePort();
    const env = { ...fx.dirs.env, HITL_PORT: String(port) };
    const shown: Challenge[] = [];
    // The first host's "browser" takes the request, then goes away (stdin closed): the host
    // answers 503 ERR_EXTENSION_DISCONNECTED and exits.
    const first = await realHost(env, (message, host) => {
      if (message.type === "sign.request") {
        shown.push(message.challenge);
        void host.stop();
      }
    });
    const cli = startCli(ACTION, env);
    await exited(first);
    expect(shown).toHaveLength(1);
    // Nothing listens now; the CLI keeps re-sending (connection refused is expected here).
    await delay(800);
    expect(cli.child.exitCode).toBeNull();

    const second = await realHost(env, (message, host) => {
      if (message.type === "sign.request") {
        shown.push(message.challenge);
        host.send({
          type: "sign.result",
          requestId: message.requestId,
          receipt: signReceipt(message.challenge, fx.alice, { decision: "approve" }),
        });
      }
    });
    const run = await cli.done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { decision: string; receipt: Receipt };
    expect(out.decision).toBe("approve");
    // Exactly the challenge the first window showed, relayed once by the second host.
    expect(second.received.filter((m) => m.type === "sign.request")).toHaveLength(1);
    expect(shown).toHaveLength(2);
    expect(canonicalize(shown[1])).toBe(canonicalize(shown[0]));
    expect(out.receipt.challenge).toEqual(shown[0]);
    expect(first.child.exitCode).toBe(0);
  });

  it("the SDK reports the link as lost, then restored once a new host holds the re-sent challenge", async () => {
    const port = await freePort();
    const env = { ...fx.dirs.env, HITL_PORT: String(port) };
    const changes: string[] = [];
    const first = await realHost(env, (message, host) => {
      if (message.type === "sign.request") void host.stop();
    });
    const outcome = requestApproval({
      action: { summary: "survive a browser restart" },
      port,
      env,
      onLinkChange: (state, challenge) => changes.push(`${state}:${challenge.action.summary}`),
    });
    await exited(first);
    await until(() => changes.length === 1, "the link to be reported lost");
    expect(changes).toEqual(["lost:survive a browser restart"]);
    await realHost(env, (message, host) => {
      if (message.type !== "sign.request") return;
      // The human decides a little later: the re-sent copy is held meanwhile.
      setTimeout(() => {
        host.send({
          type: "sign.result",
          requestId: message.requestId,
          receipt: signReceipt(message.challenge, fx.alice, { decision: "deny" }),
        });
      }, 600);
    });
    const result = await outcome;
    expect(result).toMatchObject({ decision: "deny", code: "ERR_DENIED", approver: { sub: "alice" } });
    expect(changes).toEqual(["lost:survive a browser restart", "restored:survive a browser restart"]);
  });
});

describe("re-sending, byte for byte, against a raw HTTP peer", () => {
  /** A peer answering each POST /sign with the next scripted answer; the last one repeats. */
  async function scripted(answers: Array<(challenge: Challenge) => PeerAnswer>): Promise<Record<string, string>> {
    let next = 0;
    peer = await startPeerHost(
      (request) => {
        if (request.path !== "/sign") return { status: 404, body: { error: { code: "ERR_MALFORMED", message: "only /sign here" } } };
        const answer = answers[Math.min(next++, answers.length - 1)]!;
        return answer(parseSignRequestBody(request.body).challenge);
      },
      { secretFile: fx.dirs.secretFile },
    );
    return { ...fx.dirs.env, HITL_PORT: String(peer.port) };
  }

  const disconnected = (): PeerAnswer => ({
    status: 503,
    body: { error: { code: "ERR_EXTENSION_DISCONNECTED", message: SIGN_DISCONNECTED } },
  });
  const notConnected = (): PeerAnswer => ({
    status: 503,
    body: { error: { code: "ERR_EXTENSION_NOT_CONNECTED", message: "The hitl extension has not finished connecting." } },
  });

  it("a reset after the request was written, then 'not connected yet', then lost again: identical bytes every time, approve -> 0", async () => {
    const env = await scripted([
      () => "reset",
      notConnected,
      disconnected,
      notConnected,
      (challenge) => ({ status: 200, body: { receipt: signReceipt(challenge, fx.alice, { decision: "approve" }) } }),
    ]);
    const run = await startCli(ACTION, env).done;
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "approve", approver: { sub: "alice" } });
    const posts = peer!.requests.filter((r) => r.path === "/sign");
    expect(posts).toHaveLength(5);
    for (const post of posts) expect(post.raw).toBe(posts[0]!.raw);
    // Backoff 100 + 200 + 400 + 800 ms: the copy lost again was never held, so no fresh start.
    expect(run.ms).toBeGreaterThanOrEqual(1_500);
    expect(run.ms).toBeLessThan(4_000);
  });

  it("a program that takes the port while the browser is away is not believed: its unproven approval ends the request (exit 3)", async () => {
    let next = 0;
    // The host answers "disconnected" (proven); the next copy lands on a squatter with its own valid receipt.
    peer = await startPeerHost(
      (request) =>
        next++ === 0
          ? { status: 503, body: { error: { code: "ERR_EXTENSION_DISCONNECTED", message: SIGN_DISCONNECTED } } }
          : {
              status: 200,
              body: { receipt: signReceipt(parseSignRequestBody(request.body).challenge, fx.alice, { decision: "approve" }) },
            },
      { secretFile: fx.dirs.secretFile, prove: () => next === 1 },
    );
    const run = await startCli(ACTION, { ...fx.dirs.env, HITL_PORT: String(peer.port) }).done;
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({
      decision: "error",
      code: "ERR_HOST_UNAUTHENTICATED",
      message: expect.stringContaining(
        `Something else is listening on 127.0.0.1:${peer.port} and could not prove it is your hitl signing host`,
      ),
    });
    expect(peer.requests.filter((r) => r.path === "/sign")).toHaveLength(2);
  });

  it("the first attempt is not retried when the extension was never connected (exit 3 at once)", async () => {
    const env = await scripted([notConnected]);
    const run = await startCli(ACTION, env).done;
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "error",
      code: "ERR_EXTENSION_NOT_CONNECTED",
      message: "The hitl extension has not finished connecting.",
    });
    expect(peer!.requests).toHaveLength(1);
    expect(run.ms).toBeLessThan(1_000);
  });

  it("a re-sent request answered with another challenge's receipt is refused (ERR_CHALLENGE_MISMATCH, exit 3)", async () => {
    const env = await scripted([
      disconnected,
      (challenge) => {
        const other: Challenge = { ...challenge, id: randomUUID(), nonce: Buffer.alloc(32, 5).toString("base64url") };
        return { status: 200, body: { receipt: signReceipt(other, fx.alice, { decision: "approve" }) } };
      },
    ]);
    const run = await startCli(ACTION, env).done;
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "error", code: "ERR_CHALLENGE_MISMATCH" });
    expect(peer!.requests).toHaveLength(2);
  });

  it("gives up when the challenge expires while the browser is still away: exit 2, ERR_TIMEOUT", async () => {
    const env = await scripted([disconnected]);
    const cli = startCli([...ACTION, "--timeout", "2"], env);
    await until(() => peer!.requests.length >= 1, "the first request");
    await peer!.close(); // nothing listens any more: refused until expiry
    peer = undefined;
    const run = await cli.done;
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "timeout",
      code: "ERR_TIMEOUT",
      message:
        "The browser connection was lost while the approval request was pending and did not come back before it expired; no decision reached hitl and nothing is approved. Run the command again, and 'hitl doctor' if this repeats.",
    });
    // At the challenge's own expiry (at most 2 s from its whole-second iat), not 5 s after it.
    expect(run.ms).toBeLessThan(3_500);
  });

  it("Ctrl-C while reconnecting withdraws: exit 1, ERR_WITHDRAWN, and says the window may stay", async () => {
    const env = await scripted([disconnected, notConnected]);
    const cli = startCli(ACTION, env);
    await until(() => peer!.requests.length >= 3, "two re-sent requests");
    cli.child.kill("SIGINT");
    const run = await cli.done;
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "deny",
      code: "ERR_WITHDRAWN",
      message:
        "You withdrew the approval request while the browser was disconnected; hitl will not use any answer to it. Its window may stay open until it expires, and whatever it signs is never used.",
    });
  });

  it("pairing is not re-sent: ERR_EXTENSION_DISCONNECTED exits 3 with the host's remedy", async () => {
    const message =
      "The browser side of the signing host went away while the pairing request was pending (the extension's service worker stopped or the browser closed); nothing was paired. Run 'hitl pair' again once the browser is running with the hitl extension.";
    peer = await startPeerHost(() => ({ status: 503, body: { error: { code: "ERR_EXTENSION_DISCONNECTED", message } } }), {
      secretFile: fx.dirs.secretFile,
    });
    const run = await startCli(["pair", "--name", "alice", "--json"], { ...fx.dirs.env, HITL_PORT: String(peer.port) }).done;
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "error", code: "ERR_EXTENSION_DISCONNECTED", message });
    expect(peer.requests.map((r) => r.path)).toEqual(["/pair"]);
  });
});
