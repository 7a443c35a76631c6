import { rm } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { EXTENSION_HELLO } from "@hitl/verifier/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningSigningHost, runSigningHost } from "../src/host.js";
import { encodeNativeMessage, NativeMessageReader } from "../src/native/framing.js";
import { freePort } from "./lib/browser-side.js";
import { configWithSecret } from "./lib/host-secret.js";
import { rawRequest } from "./lib/http.js";

/** runSigningHost in-process over PassThrough pipes: real framing and real HTTP, shorter timeouts. */
function pipes() {
  const input = new PassThrough();
  const output = new PassThrough();
  const received: Array<Record<string, unknown>> = [];
  const reader = new NativeMessageReader({ onMessage: (v) => received.push(v as Record<string, unknown>), onError: () => {} });
  output.on("data", (chunk: Buffer) => reader.push(chunk));
  return { input, output, received };
}

let running: RunningSigningHost | undefined;
let config: Awaited<ReturnType<typeof configWithSecret>>;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  config = await configWithSecret();
  env = { HITL_CONFIG_DIR: config.configDir };
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await config.remove();
});

describe("runSigningHost", () => {
  it("exits 1 when the extension never answers host.hello", async () => {
    const { input, output, received } = pipes();
    const started = Date.now();
    running = await runSigningHost({ input, output, env, handshakeTimeoutMs: 100, server: { port: await freePort() } });
    expect(await running.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(received.map((m) => m.type)).toEqual(["host.hello"]);
  });

  it("exits 0 when the input ends, after answering pending HTTP clients", async () => {
    const { input, output, received } = pipes();
    const port = await freePort();
    running = await runSigningHost({ input, output, env, server: { port } });
    expect(running.port).toBe(port);
    expect(received[0]).toMatchObject({ type: "host.hello", port });
    input.write(encodeNativeMessage(EXTENSION_HELLO));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(running.extension.state).toBe("connected");
    input.end();
    expect(await running.exited).toBe(0);
    await expect(rawRequest(port, { method: "GET", path: "/health" })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("stop() shuts down with 0; a second stop joins the first", async () => {
    const { input, output } = pipes();
    running = await runSigningHost({ input, output, env, server: { port: await freePort() } });
    const [a, b] = await Promise.all([running.stop(), running.stop()]);
    expect([a, b]).toEqual([0, 0]);
  });

  it("without a host secret: host.error ERR_HOST_SECRET_MISSING, nothing listens, exit 1", async () => {
    await rm(config.secretFile);
    const { input, output, received } = pipes();
    const port = await freePort();
    running = await runSigningHost({ input, output, env, server: { port } });
    expect(running.port).toBeUndefined();
    expect(await running.exited).toBe(1);
    expect(received).toEqual([
      {
        type: "host.error",
        error: {
          code: "ERR_HOST_SECRET_MISSING",
          message: `The hitl host secret ${config.secretFile} does not exist, so the signing host cannot be told apart from another program on its port. Run \`hitl setup\` (it creates the secret), then restart the browser.`,
        },
      },
    ]);
    await expect(rawRequest(port, { method: "GET", path: "/health" })).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
