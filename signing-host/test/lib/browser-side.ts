import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";

export const HOST_MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));
const HOST_PROCESS = fileURLToPath(new URL("../../dist/host-process.js", import.meta.url));

const EXTENSION_ORIGIN = "chrome-extension://gdikjmbmddjjemjnooacmbhlponkepgb/";

/**
 * The browser's side of a REAL host process: spawns `node signing-host/dist/main.js`, writes and
 * reads native-messaging frames on its stdio. The framing here is written independently of
 * src/native/framing.ts, so each checks the other.
 */
export class BrowserSide {
  readonly child: ChildProcessWithoutNullStreams;
  readonly received: Array<Record<string, unknown>> = [];
  #buffer = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 4) {
        const length = this.#buffer.readUInt32LE(0);
        if (this.#buffer.length < 4 + length) break;
        this.received.push(JSON.parse(this.#buffer.subarray(4, 4 + length).toString("utf8")));
        this.#buffer = this.#buffer.subarray(4 + length);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.#exit = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  }

  static launch(env: Record<string, string>, args: string[] = [EXTENSION_ORIGIN]): BrowserSide {
    const child = spawn(process.execPath, [HOST_MAIN, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: env.HITL_STATE_DIR ?? "/nonexistent", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new BrowserSide(child);
  }

  /**
   * The same host process code as main.js (host-process.ts) with other server bounds, e.g. room
   * for 1,000 pending approvals where the shipped host keeps 16.
   */
  static launchWithServerOptions(env: Record<string, string>, server: Record<string, unknown>): BrowserSide {
    const script = `const { runHostProcess } = await import(${JSON.stringify(pathToFileURL(HOST_PROCESS).href)});
await runHostProcess(JSON.parse(process.env.HITL_TEST_SERVER_OPTIONS));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: env.HITL_STATE_DIR ?? "/nonexistent",
        ...env,
        HITL_TEST_SERVER_OPTIONS: JSON.stringify(server),
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new BrowserSide(child);
  }

  /** Bytes on stdout that did not form a whole frame (must be 0: stdout carries frames only). */
  get leftoverBytes(): number {
    return this.#buffer.length;
  }

  send(message: unknown): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length, 0);
    this.child.stdin.write(Buffer.concat([header, body]));
  }

  sendRaw(bytes: Uint8Array): void {
    this.child.stdin.write(bytes);
  }

  /** The next not-yet-consumed message of `type`, waiting up to `timeoutMs`. */
  async next(type: string, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m) => m.type === type);
      if (index >= 0) return this.received.splice(index, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${type} from the host within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exit;
  }

  /** Test clean-up: stop the process by its pid if it is still running. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
      await this.#exit;
    }
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  server.close();
  await once(server, "close");
  return port;
}
