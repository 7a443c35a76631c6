import { type ExtensionToHost, HitlError, type HostToExtension, LIMITS, parseHostToExtension, utf8Length } from "@hitl/verifier/protocol";
import type { Runtime } from "webextension-polyfill";

/*
 * The native-messaging port to the signing host, as an explicit state machine:
 *
 *   disconnected --start/retry--> connecting --port open--> awaiting-hello --host.hello--> connected
 *        ^                                                        |                            |
 *        +------------- disconnect / handshake timeout / protocol violation -------------------+
 *
 * Every exit from a live state removes the port's listeners, clears the handshake timer and
 * schedules a reconnect with exponential backoff. An open native port also keeps the MV3 service
 * worker alive, which is what lets pending approvals keep their timers.
 */
export type ConnectionState =
  | { kind: "disconnected"; lastError?: string; retryInMs?: number }
  | { kind: "connecting" }
  | { kind: "awaiting-hello" }
  | { kind: "connected"; hostVersion: string; port: number; pid: number };

type Hello = Extract<HostToExtension, { type: "host.hello" }>;

export interface NativeHostOptions {
  hostName: string;
  connect: (hostName: string) => Runtime.Port;
  /** Called once per handshake; the caller answers with extension.hello and flushes its outbox. */
  onConnected: (hello: Hello) => void;
  /** Every validated message after the handshake. */
  onMessage: (message: Exclude<HostToExtension, { type: "host.hello" | "host.error" }>) => void;
  onStateChange?: (state: ConnectionState) => void;
  helloTimeoutMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** 250 ms, 500 ms, 1 s, ... capped: quick recovery from a host restart, no busy loop without one. */
/**
 * The first reconnect after the host went away. @hitl/sdk's HOST_BACK_WITHIN_MS (ask-host.ts)
 * counts on a new host within it (extension/test/host-restart.test.ts checks that both agree).
 */
export const MIN_BACKOFF_MS = 250;

export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function disconnectReason(port: Runtime.Port): string {
  const firefoxError = (port as { error?: { message?: string } }).error?.message;
  const chromeError = (globalThis as { chrome?: { runtime?: { lastError?: { message?: string } } } }).chrome?.runtime?.lastError?.message;
  return firefoxError ?? chromeError ?? "The signing host closed the connection.";
}

export class NativeHostConnection {
  #state: ConnectionState = { kind: "disconnected" };
  #port: Runtime.Port | undefined;
  #removeListeners: (() => void) | undefined;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  /** The last host.error, reported with the disconnect that follows it. */
  #hostError: string | undefined;
  readonly #options: Required<NativeHostOptions>;

  constructor(options: NativeHostOptions) {
    this.#options = { helloTimeoutMs: 10_000, minBackoffMs: MIN_BACKOFF_MS, maxBackoffMs: 30_000, onStateChange: () => {}, ...options };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Connect now unless a connection is live or being made. Also cuts a pending backoff short. */
  start(): void {
    if (this.#state.kind !== "disconnected") return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#open();
  }

  /** Send one message; throws unless connected or when over the native-messaging byte cap. */
  send(message: ExtensionToHost): void {
    const port = this.#port;
    if (this.#state.kind !== "connected" || port === undefined) {
      throw new HitlError("ERR_HOST_UNREACHABLE", "The signing host is not connected; the extension will retry automatically.");
    }
    const bytes = utf8Length(JSON.stringify(message));
    if (bytes > LIMITS.nativeMessageBytes) {
      throw new HitlError(
        "ERR_NATIVE_MESSAGE_TOO_LARGE",
        `A ${message.type} message of ${bytes} bytes exceeds the 1 MiB native-messaging limit.`,
      );
    }
    port.postMessage(message);
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#options.onStateChange(state);
  }

  #open(): void {
    this.#setState({ kind: "connecting" });
    let port: Runtime.Port;
    try {
      port = this.#options.connect(this.#options.hostName);
    } catch (error) {
      this.#drop(error instanceof Error ? error.message : String(error));
      return;
    }
    const onMessage = (raw: unknown) => this.#receive(raw);
    const onDisconnect = (p: Runtime.Port) => this.#drop(this.#hostError ?? disconnectReason(p), false);
    port.onMessage.addListener(onMessage);
    port.onDisconnect.addListener(onDisconnect);
    this.#port = port;
    this.#removeListeners = () => {
      port.onMessage.removeListener(onMessage);
      port.onDisconnect.removeListener(onDisconnect);
    };
    this.#hostError = undefined;
    this.#setState({ kind: "awaiting-hello" });
    this.#helloTimer = setTimeout(
      () => this.#drop(`The signing host did not answer within ${this.#options.helloTimeoutMs} ms.`),
      this.#options.helloTimeoutMs,
    );
  }

  #receive(raw: unknown): void {
    let message: HostToExtension;
    try {
      message = parseHostToExtension(raw);
    } catch (error) {
      this.#rejectMalformed(raw, error);
      return;
    }
    if (message.type === "host.error") {
      // The host cannot serve (e.g. its port is taken) and exits; the disconnect follows.
      this.#hostError = `${message.error.code}: ${message.error.message}`;
      return;
    }
    if (this.#state.kind === "awaiting-hello") {
      if (message.type !== "host.hello") {
        this.#drop(`The signing host sent ${message.type} before host.hello.`);
        return;
      }
      clearTimeout(this.#helloTimer);
      this.#helloTimer = undefined;
      this.#attempt = 0;
      this.#setState({ kind: "connected", hostVersion: message.hostVersion, port: message.port, pid: message.pid });
      this.#options.onConnected(message);
      return;
    }
    if (this.#state.kind !== "connected" || message.type === "host.hello") return; // stray or repeated hello
    this.#options.onMessage(message);
  }

  /** A message that failed validation: answer its request (if it names one) so nobody waits for nothing. */
  #rejectMalformed(raw: unknown, error: unknown): void {
    const requestId = (raw as { requestId?: unknown } | null)?.requestId;
    const wire =
      error instanceof HitlError ? error.toJSON() : { code: "ERR_PROTOCOL" as const, message: "The host sent a malformed message." };
    if (typeof requestId === "string" && UUID_V4.test(requestId) && this.#state.kind === "connected") {
      try {
        this.send({ type: "request.error", requestId, error: wire });
      } catch {
        // the connection went away meanwhile; the host times the request out
      }
    }
  }

  /** Leave the live state: clean up everything the connection held, then schedule a retry. */
  #drop(reason: string, disconnect = true): void {
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    this.#removeListeners?.();
    this.#removeListeners = undefined;
    const port = this.#port;
    this.#port = undefined;
    if (disconnect && port !== undefined) {
      try {
        port.disconnect();
      } catch {
        // already closed
      }
    }
    const delay = backoffDelay(this.#attempt++, this.#options.minBackoffMs, this.#options.maxBackoffMs);
    this.#setState({ kind: "disconnected", lastError: reason, retryInMs: delay });
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.start();
    }, delay);
  }
}
