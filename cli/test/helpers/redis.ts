import { type ChildProcess, spawn } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./peer-host.js";

/** A real redis-server on a random port, no persistence, stopped by its pid. */
export interface RedisServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The state of a Redis that has kept hitl's nonces for two hours (longer than any approval
 * lives): its epoch marker names this server process. A fresh one refuses approvals issued in its
 * first 91 s (ERR_NONCE_STORE_RESET), as a restarted one must.
 */
export async function markInService(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  try {
    const runId = /run_id:([0-9a-f]{40})/.exec(await client.info("server"))?.[1];
    if (runId === undefined) throw new Error("INFO server has no run_id");
    await client.set("hitl:nonce:~epoch", `${Date.now() - 7_200_000}:${runId}`);
  } finally {
    client.disconnect();
  }
}

/** No persistence unless `extraArgs` turn it on (later arguments win). */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
