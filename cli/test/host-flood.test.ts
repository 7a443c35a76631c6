import { spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import type { Challenge, HostToExtension } from "@hitl/verifier";
import { makeChallenge, signReceipt } from "@hitl/verifier/testing";
import { describe, expect, it } from "vitest";
import { realHostFixture } from "./helpers/real-host.js";
import { runCli } from "./helpers/run-cli.js";

/*
 * A flood of forged requesters against the real signing host process (signing-host/dist/main.js,
 * real stdio framing, real HTTP): one process (this test) sends 40 POST /sign, each on its own
 * connection and each claiming another pid. The host counts by the process the kernel says holds
 * the client socket, so the flood gets 4 windows; a real `hitl request` (another process) still
 * reaches the browser and is approved.
 */

const fx = realHostFixture();

function forgedChallenge(pid: number): Challenge {
  return makeChallenge({ action: { summary: `flood ${pid}` }, requester: { tool: "flood", pid } });
}

/**
 * Starts the real host with alice paired; its extension shows every request (collected in
 * `shown`) and approves only those not from the flood, which wait for a human forever.
 */
async function startHostApprovingAllButFlood(shown: Array<Extract<HostToExtension, { type: "sign.request" }>>) {
  await fx.pairAlice();
  const env = await fx.start((message, peer) => {
    if (message.type !== "sign.request") return;
    shown.push(message);
    if (message.challenge.requester.tool !== "flood") {
      peer.send({
        type: "sign.result",
        requestId: message.requestId,
        receipt: signReceipt(message.challenge, fx.alice, { decision: "approve" }),
      });
    }
  });
  return { env, port: Number(env.HITL_PORT) };
}

/** POST /sign on a connection of its own; resolves with the answer (status + parsed body). */
function postSign(
  port: number,
  challenge: Challenge,
): { answer: Promise<{ status: number; body: { error?: { code: string; message: string } } }>; abort(): void } {
  const body = JSON.stringify({ challenge });
  const req = httpRequest({
    host: "127.0.0.1",
    port,
    method: "POST",
    path: "/sign",
    agent: false,
    headers: { host: `127.0.0.1:${port}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
  });
  const answer = new Promise<{ status: number; body: { error?: { code: string; message: string } } }>((resolve, reject) => {
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }));
    });
    req.on("error", reject);
  });
  req.end(body);
  return {
    answer,
    abort: () => {
      // The client leaving is the point here, not an error of the test.
      answer.catch(() => {});
      req.destroy();
    },
  };
}

describe("a flood of forged requesters", () => {
  it("40 requests claiming 40 pids from one process get 4 windows; a real `hitl request` still gets its window and is approved", async () => {
    const shown: Array<Extract<HostToExtension, { type: "sign.request" }>> = [];
    const { env, port } = await startHostApprovingAllButFlood(shown);

    const flood = Array.from({ length: 40 }, (_, i) => postSign(port, forgedChallenge(30_000 + i)));
    const answers: Array<{ status: number; body: { error?: { code: string; message: string } } }> = [];
    for (const request of flood)
      request.answer.then(
        (answer) => answers.push(answer),
        () => {},
      );
    const deadline = Date.now() + 10_000;
    while (answers.length + shown.length < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    // Four reached the browser and wait for the human; the other 36 were refused at once.
    expect(shown).toHaveLength(4);
    expect(answers).toHaveLength(36);
    for (const answer of answers) {
      expect(answer.status).toBe(429);
      expect(answer.body.error).toEqual({
        code: "ERR_TOO_MANY_PENDING",
        message: `This program (pid ${process.pid}) already has 4 requests waiting for a decision (limit 4 per process); wait for one to finish, or deny them all from the hitl extension's toolbar popup.`,
      });
    }

    const run = await runCli(["request", "--action", "deploy the real thing", "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: "approve", approver: { sub: "alice" } });
    expect(shown.map((message) => message.challenge.action.summary)).toContain("deploy the real thing");
    expect(shown.filter((message) => message.challenge.requester.tool === "flood")).toHaveLength(4);

    for (const request of flood) request.abort();
  });

  it("a flood from six processes still leaves a place for a seventh: the real `hitl request`", async () => {
    const shown: Array<Extract<HostToExtension, { type: "sign.request" }>> = [];
    const { env, port } = await startHostApprovingAllButFlood(shown);

    // Six processes, each sending 6 requests on 6 connections and printing each refusal's code.
    let refused = 0;
    const codes: string[] = [];
    const flooders = Array.from({ length: 6 }, (_, p) => {
      const bodies = Array.from({ length: 6 }, (_, i) => JSON.stringify({ challenge: forgedChallenge(50_000 + p * 10 + i) }));
      const child = spawn(process.execPath, ["-e", FLOODER, String(port)], {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BODIES: JSON.stringify(bodies) },
        stdio: ["ignore", "pipe", "inherit"],
      });
      child.stdout.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
          refused++;
          codes.push(line);
        }
      });
      return child;
    });
    try {
      const deadline = Date.now() + 15_000;
      while (refused + shown.length < 36 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // However the six interleave, they hold 12 to 15 places: 4 each until 12 are taken, then
      // only a process with nothing waiting gets one of the last 4.
      expect(shown.length).toBeGreaterThanOrEqual(12);
      expect(shown.length).toBeLessThanOrEqual(15);
      expect(refused).toBe(36 - shown.length);
      expect(new Set(codes)).toEqual(new Set(["429 ERR_TOO_MANY_PENDING"]));
      const perProcess = new Map<number, number>();
      for (const message of shown) {
        const flooder = Math.floor((message.challenge.requester.pid! - 50_000) / 10);
        perProcess.set(flooder, (perProcess.get(flooder) ?? 0) + 1);
      }
      expect(Math.max(...perProcess.values())).toBeLessThanOrEqual(4);

      const run = await runCli(["request", "--action", "deploy the real thing", "--json"], env);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ decision: "approve", approver: { sub: "alice" } });
    } finally {
      for (const child of flooders) child.kill("SIGKILL");
    }
  });
});

/** A flooding process: one connection per body; prints "<status> <code>" for each answer it gets. */
const FLOODER = `
const http = require("node:http");
const port = Number(process.argv[1]);
for (const body of JSON.parse(process.env.BODIES)) {
  const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/sign", agent: false,
    headers: { host: "127.0.0.1:" + port, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
    (res) => { let text = ""; res.on("data", (c) => (text += c)); res.on("end", () => process.stdout.write(res.statusCode + " " + JSON.parse(text).error.code + "\\n")); });
  req.on("error", () => {});
  req.end(body);
}
setInterval(() => {}, 60000);
`;
