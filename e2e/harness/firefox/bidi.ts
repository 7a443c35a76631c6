import type WebSocket from "ws";
import { openWebSocket } from "../open-websocket.mjs";

/*
 * A small WebDriver BiDi client: commands with ids and a timeout, nothing else. Node 20 has no
 * WebSocket client without a flag, hence `ws`. Spec: https://w3c.github.io/webdriver-bidi/
 */

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A BiDi `error` answer, kept with its error code ("no such frame", …) for callers to tell apart. */
export class BidiError extends Error {
  constructor(
    readonly method: string,
    readonly error: string,
    message: string,
  ) {
    super(`BiDi ${method} failed: ${error}: ${message}`);
  }
}

export class BidiConnection {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedReason: string | undefined;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on("message", (data) => this.#receive(String(data)));
    socket.on("close", () => this.#failAll("the BiDi connection closed"));
    socket.on("error", (error) => this.#failAll(`the BiDi connection failed: ${error.message}`));
  }

  /** Connect to `ws://127.0.0.1:PORT` (as printed by Firefox) and open a session. */
  static async connect(url: string, timeoutMs = 10_000): Promise<BidiConnection> {
    const socket = await openWebSocket(`${url}/session`, { what: "BiDi", timeoutMs });
    const connection = new BidiConnection(socket);
    await connection.command("session.new", { capabilities: {} });
    return connection;
  }

  command<T = Record<string, unknown>>(method: string, params: Record<string, unknown>, timeoutMs = 15_000): Promise<T> {
    if (this.#closedReason !== undefined) return Promise.reject(new Error(`BiDi ${method}: ${this.#closedReason}.`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`BiDi ${method} got no answer within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#failAll("the BiDi connection was closed by the test");
    this.#socket.terminate();
  }

  #receive(text: string): void {
    let message: { id?: number; type?: string; result?: unknown; error?: string; message?: string };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return; // not ours to interpret
    }
    if (message.id === undefined) return; // an event; this client subscribes to none
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.type === "success") pending.resolve(message.result);
    else pending.reject(new BidiError(pending.method, message.error ?? "unknown error", message.message ?? ""));
  }

  #failAll(reason: string): void {
    this.#closedReason ??= reason;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`BiDi ${pending.method}: ${reason}.`));
      this.#pending.delete(id);
    }
  }
}
