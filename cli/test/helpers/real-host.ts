import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getHostHealth } from "@hitl/sdk";
import { addApprover, type ExtensionStatus, type ExtensionToHost, type HostToExtension } from "@hitl/verifier";
import { makeApprover, type TestApprover } from "@hitl/verifier/testing";
import { afterEach, beforeEach, expect } from "vitest";
import { freePort, type PeerHost } from "./peer-host.js";
import { isolatedDirs } from "./run-cli.js";

type IsolatedDirs = Awaited<ReturnType<typeof isolatedDirs>>;

import { parseHostToExtension } from "@hitl/verifier/protocol";

/** The built signing host, started the way a browser starts it: stdio frames, env for the port. */
export const HOST_MAIN = resolve(fileURLToPath(new URL("../../../signing-host/dist/main.js", import.meta.url)));

/**
 * A real `node signing-host/dist/main.js` process with this test playing the browser extension
 * over real native-messaging framing (4-byte little-endian length + UTF-8 JSON). `onMessage`
 * answers what the host sends after the handshake.
 */
export interface RealHost {
  child: ChildProcess;
  port: number;
  received: HostToExtension[];
  send(message: ExtensionToHost): void;
  stop(): Promise<void>;
}

export async function startRealHost(options: {
  env: Record<string, string>;
  status: ExtensionStatus;
  onMessage(message: HostToExtension, host: RealHost): void;
}): Promise<RealHost> {
  const child = spawn(process.execPath, [HOST_MAIN, "chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const received: HostToExtension[] = [];
  let buffered = Buffer.alloc(0);
  let onHello: (port: number) => void = () => {};
  let onFailure: (error: Error) => void = () => {};
  const hello = new Promise<number>((resolveHello, rejectHello) => {
    onHello = resolveHello;
    onFailure = rejectHello;
  });
  const host: RealHost = {
    child,
    port: 0,
    received,
    send(message) {
      const body = Buffer.from(JSON.stringify(message), "utf8");
      const header = Buffer.alloc(4);
      header.writeUInt32LE(body.length, 0);
      child.stdin?.write(Buffer.concat([header, body]));
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
      // Closing stdin is how a browser says goodbye; SIGKILL only if the host ignores it.
      child.stdin?.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  child.once("exit", (code) => onFailure(new Error(`signing host exited (${code}) before host.hello`)));
  child.stdout?.on("data", (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32LE(0);
      if (buffered.length < 4 + length) break;
      const message = parseHostToExtension(JSON.parse(buffered.subarray(4, 4 + length).toString("utf8")));
      buffered = buffered.subarray(4 + length);
      received.push(message);
      if (message.type === "host.hello") {
        host.send({ type: "extension.hello", extensionVersion: "0.1.0-test", browser: "test", status: options.status });
        onHello(message.port);
      } else if (message.type === "status.request") {
        host.send({ type: "status.result", requestId: message.requestId, status: options.status });
      } else {
        options.onMessage(message, host);
      }
    }
  });
  host.port = await hello;
  // extension.hello is in flight: wait until the host reports the extension as connected.
  for (let attempt = 0; attempt < 100; attempt++) {
    const health = await getHostHealth({ port: host.port, env: options.env });
    if (health.extension.connected) return host;
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 20));
  }
  throw new Error("the signing host never reported the extension as connected");
}

/**
 * Per test: fresh isolated directories and a new approver "alice" (listed in the approvers file
 * when `paired`), the directories removed after the test. Other afterEach hooks of the file run
 * first (vitest runs them in reverse order), so hosts and peers stop before their directories go.
 */
export function approverFixture(options: { paired: boolean }) {
  const state: { dirs?: IsolatedDirs; alice?: TestApprover } = {};
  beforeEach(async () => {
    state.dirs = await isolatedDirs();
    state.alice = makeApprover("alice");
    if (options.paired) await fixture.pairAlice();
  });
  afterEach(async () => {
    await state.dirs?.cleanup();
  });
  const fixture = {
    get dirs(): IsolatedDirs {
      return state.dirs!;
    },
    get alice(): TestApprover {
      return state.alice!;
    },
    /** Alice's paired key, in a persistent profile, nothing pending. */
    status(): ExtensionStatus {
      return { keyPresent: true, kid: fixture.alice.kid, subject: fixture.alice.sub, keyPolicy: "persistent", pending: 0 };
    },
    /** Alice listed in the approvers file, as `hitl pair` leaves it. */
    async pairAlice(): Promise<void> {
      await addApprover(`${fixture.dirs.env.HITL_CONFIG_DIR}/approvers.json`, fixture.alice.record);
    },
  };
  return fixture;
}

/**
 * Per test: the real host and the peer a test started (assigned to `host` / `peer`), stopped
 * after it. Call it after approverFixture so they stop before the directories go.
 */
export function startedFixture(): { host?: RealHost; peer?: PeerHost } {
  const started: { host?: RealHost; peer?: PeerHost } = {};
  afterEach(async () => {
    await started.host?.stop();
    await started.peer?.close();
    delete started.host;
    delete started.peer;
  });
  return started;
}

/**
 * approverFixture (alice not paired) plus the real host: `start` runs it on a free port with this
 * test as alice's extension and returns the environment for the CLI; it stops after the test.
 */
export function realHostFixture() {
  const base = approverFixture({ paired: false });
  let running: RealHost | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  return {
    get dirs(): IsolatedDirs {
      return base.dirs;
    },
    get alice(): TestApprover {
      return base.alice;
    },
    status: base.status,
    pairAlice: base.pairAlice,
    get host(): RealHost {
      if (running === undefined) throw new Error("The real host was not started in this test.");
      return running;
    },
    async start(onMessage: (message: HostToExtension, host: RealHost) => void): Promise<Record<string, string>> {
      const port = await freePort();
      const env = { ...base.dirs.env, HITL_PORT: String(port) };
      running = await startRealHost({ env, status: base.status(), onMessage });
      expect(running.port).toBe(port);
      return env;
    },
  };
}
