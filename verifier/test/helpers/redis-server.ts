import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { type AddressInfo, connect, createServer } from "node:net";
import { Redis } from "ioredis";
import type { NonceStore } from "../../src/contracts.js";

/**
 * A real redis-server for one test file: random free port, no persistence, stopped by pid.
 * `redis-server` must be installed (apt-get install redis-server; .ci/run does it).
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. */
  stop(): Promise<void>;
  /** A crash: SIGKILL (no shutdown save, no AOF rewrite), and waits for it to exit. */
  crash(): Promise<void>;
}

/**
 * Waits until a Redis-backed store has seen its connection close (a throwaway consume fails with
 * ERR_NONCE_STORE_UNAVAILABLE). Before that, a consume is written to a socket whose peer is gone,
 * and the store (rightly) cannot say whether it landed: ERR_NONCE_MAYBE_CONSUMED.
 */
export async function untilDisconnected(store: NonceStore): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 100; i++) {
    const code = await store.consume(randomBytes(32).toString("base64url"), now + 60, now).then(
      () => "consumed",
      (error: { code?: string }) => error.code,
    );
    if (code === "ERR_NONCE_STORE_UNAVAILABLE") return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the store did not notice that Redis went away within 2 s");
}

/**
 * The state of a Redis that has kept hitl's nonces for two hours (longer than any approval
 * lives): its epoch marker names this server process and starts two hours ago.
 */
export async function markInService(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const runId = /run_id:([0-9a-f]{40})/.exec(await client.info("server"))?.[1];
    if (runId === undefined) throw new Error("INFO server has no run_id");
    await client.set("hitl:nonce:~epoch", `${Date.now() - 7_200_000}:${runId}`);
  } finally {
    client.disconnect();
  }
}

/**
 * Waits until a store reaches Redis again (it reconnects in the background): retries `attempt`
 * while it fails with ERR_NONCE_STORE_UNAVAILABLE, and returns the first other answer (a value or
 * the error).
 */
export async function firstAnswer(attempt: () => Promise<unknown>): Promise<unknown> {
  for (let i = 0; i < 100; i++) {
    const answer = await attempt().then(
      (value) => value,
      (error: { code?: string }) => (error.code === "ERR_NONCE_STORE_UNAVAILABLE" ? undefined : error),
    );
    if (answer !== undefined) return answer;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the store did not reach Redis again within 5 s");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when a Redis on the port answers PING. */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("error", () => done(false));
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      // A server started with --requirepass answers NOAUTH: it is up all the same.
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"));
    });
    socket.once("connect", () => socket.write("PING\r\n"));
  });
}

/**
 * `port`: restart on a known port (e.g. after stop()); otherwise a random free one. No
 * persistence unless `extraArgs` turn it on (later arguments win, e.g. `--appendonly yes --dir D`).
 */
export async function startRedisServer(extraArgs: string[] = [], fixedPort?: number): Promise<RedisServer> {
  // A port found free can be taken before redis binds it: retry with another one.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = fixedPort ?? (await freePort());
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs], {
      stdio: "ignore",
    });
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && child.exitCode === null) {
      const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 25))]);
      if (failed instanceof Error)
        throw new Error(`cannot start redis-server (${failed.message}); install it: apt-get install redis-server`);
      if (await pingRedis(port)) return handle(child, port);
    }
    await stopChild(child);
  }
  throw new Error("redis-server did not answer PING on a free port after 5 attempts");
}

function handle(child: ChildProcess, port: number): RedisServer {
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => stopChild(child),
    crash: () => stopChild(child, "SIGKILL"),
  };
}

async function stopChild(child: ChildProcess, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(child.pid, signal);
  const killer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
  }, 3000);
  await exited;
  clearTimeout(killer);
}
