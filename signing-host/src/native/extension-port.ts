import { randomUUID } from "node:crypto";
import {
  type Challenge,
  type ExtensionStatus,
  type ExtensionToHost,
  errorFromWire,
  HitlError,
  type HostToExtension,
  type KeyPolicy,
  type PairingRequest,
  type PairingResponse,
  parseExtensionToHost,
  type Receipt,
  type TeamKeyEntry,
} from "@hitl/verifier/protocol";
import { type HostLogger, silentLogger } from "../lib/log.js";

/*
 * The host's side of the link to the extension, as an explicit state machine:
 *
 *   waiting-for-hello --extension.hello--> connected --close()--> closed
 *           \--handshake timeout / close()------------------------^
 *
 * Policy for bad input from the extension (decided here, once): a message that fails
 * `parseExtensionToHost` is logged and ignored, because one bad message must not cancel the other
 * approvals in flight; but if it names a pending request by its requestId, that request fails at
 * once with ERR_PROTOCOL (fail closed, and fast, instead of waiting for expiry). Framing errors
 * (oversized frame, stream cut mid-frame) are fatal: the owner calls close().
 */

export type ExtensionPortState = "waiting-for-hello" | "connected" | "closed";

export interface ExtensionInfo {
  extensionVersion: string;
  browser: string;
  status: ExtensionStatus;
}

export interface ExtensionPortOptions {
  /** Sends one framed message to the browser; throws if it cannot. */
  send(message: HostToExtension): void;
  /** How long the extension has to answer host.hello. */
  handshakeTimeoutMs?: number;
  log?: HostLogger;
  /** Called once, when the port reaches `closed`. */
  onClose?(reason: HitlError | undefined): void;
}

export interface CallOptions {
  timeoutMs: number;
  /** Aborted when the HTTP client went away: the extension is told to withdraw. */
  signal?: AbortSignal;
}

export interface SignOptions extends CallOptions {
  /** The id prepareSign() announced for this request: its window is already open. */
  preparedId?: string | undefined;
}

/** Windows opened ahead of their challenge at once; beyond this, requests just skip the head start. */
export const MAX_PREPARED = 4;

type Expected = "sign.result" | "pair.result" | "status.result" | "keys.list.result" | "keys.revoke.result";

interface Pending {
  expects: Expected;
  resolve(message: ExtensionToHost): void;
  reject(error: HitlError): void;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export class ExtensionPort {
  #state: ExtensionPortState = "waiting-for-hello";
  #info: ExtensionInfo | undefined;
  readonly #pending = new Map<string, Pending>();
  readonly #send: (message: HostToExtension) => void;
  readonly #handshakeTimeoutMs: number;
  readonly #log: HostLogger;
  readonly #onClose: ((reason: HitlError | undefined) => void) | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  /** Ids announced with sign.prepare and not yet used by a sign.request. */
  readonly #prepared = new Set<string>();
  #statusInFlight: Promise<ExtensionInfo> | undefined;

  constructor(options: ExtensionPortOptions) {
    this.#send = options.send;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.#log = options.log ?? silentLogger;
    this.#onClose = options.onClose;
  }

  get state(): ExtensionPortState {
    return this.#state;
  }

  /** What the extension last told us (hello, status.result or status.update). */
  get info(): ExtensionInfo | undefined {
    return this.#info;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Throws ERR_EXTENSION_NOT_CONNECTED unless the handshake completed and the port is open. */
  assertConnected(): void {
    if (this.#state !== "connected") throw notConnected(this.#state);
  }

  /** Sends host.hello (the HTTP server is listening by now) and arms the handshake timer. */
  open(hello: { hostVersion: string; port: number; pid: number }): void {
    if (this.#state === "closed") throw new HitlError("ERR_INTERNAL", "The extension port is closed; it cannot be reopened.");
    if (!this.#trySend({ type: "host.hello", ...hello })) return;
    if (this.#state !== "waiting-for-hello") return;
    this.#handshakeTimer = setTimeout(() => {
      this.close(
        new HitlError(
          "ERR_PROTOCOL",
          `The extension did not answer host.hello within ${this.#handshakeTimeoutMs} ms; reload the hitl extension so it reconnects.`,
        ),
      );
    }, this.#handshakeTimeoutMs);
  }

  /** One decoded frame from the browser. */
  receive(value: unknown): void {
    if (this.#state === "closed") return;
    let message: ExtensionToHost;
    try {
      message = parseExtensionToHost(value);
    } catch (error) {
      this.#rejectInvalid(value, error);
      return;
    }
    switch (message.type) {
      case "extension.hello":
        this.#info = { extensionVersion: message.extensionVersion, browser: message.browser, status: message.status };
        if (this.#state === "waiting-for-hello") {
          clearTimeout(this.#handshakeTimer);
          this.#state = "connected";
          this.#log.info("extension.connected", { version: message.extensionVersion, browser: message.browser });
        }
        return;
      case "status.update":
        if (this.#info !== undefined) this.#info = { ...this.#info, status: message.status };
        return;
      default:
        break;
    }
    if (this.#state !== "connected") {
      this.#log.warn("extension.message-before-hello", { type: message.type });
      return;
    }
    const pending = this.#pending.get(message.requestId);
    if (pending === undefined) {
      // Normal after a timeout or a withdrawal: the answer arrived too late to matter.
      this.#log.info("extension.late-answer", { type: message.type, requestId: message.requestId });
      return;
    }
    if (message.type === "request.error") {
      pending.reject(errorFromWire(message.error));
    } else if (message.type === pending.expects) {
      if (message.type === "status.result" && this.#info !== undefined) this.#info = { ...this.#info, status: message.status };
      pending.resolve(message);
    } else {
      pending.reject(
        new HitlError(
          "ERR_PROTOCOL",
          `The extension answered a request with ${message.type} instead of ${pending.expects}; nothing was relayed.`,
        ),
      );
    }
  }

  /**
   * A POST /sign arrived and its body is on the way: sign.prepare lets the extension open the
   * (empty) window now. Returns the id the sign.request must then use, or undefined (not
   * connected, or MAX_PREPARED windows are already waiting for their challenge).
   */
  prepareSign(): string | undefined {
    if (this.#state !== "connected" || this.#prepared.size >= MAX_PREPARED) return undefined;
    const requestId = randomUUID();
    if (!this.#trySend({ type: "sign.prepare", requestId })) return undefined;
    this.#prepared.add(requestId);
    return requestId;
  }

  /** The prepared request will not follow (bad body, client gone): the extension closes the window. */
  releasePrepared(requestId: string): void {
    if (!this.#prepared.delete(requestId)) return; // used by its sign.request, or already released
    this.#log.info("request.withdrawn", { requestId, reason: "prepared-request-not-sent" });
    this.#trySend({ type: "request.withdraw", requestId });
  }

  async sign(challenge: Challenge, options: SignOptions): Promise<Receipt> {
    const prepared = options.preparedId !== undefined && this.#prepared.delete(options.preparedId) ? options.preparedId : undefined;
    const answer = await this.#call((requestId) => ({ type: "sign.request", requestId, challenge }), "sign.result", options, prepared);
    if (answer.type !== "sign.result") throw new HitlError("ERR_INTERNAL", "Unreachable: wrong answer type.");
    return answer.receipt;
  }

  async pair(request: PairingRequest, keyLifetime: KeyPolicy | undefined, options: CallOptions): Promise<PairingResponse> {
    const message = (requestId: string): HostToExtension =>
      keyLifetime === undefined ? { type: "pair.request", requestId, request } : { type: "pair.request", requestId, request, keyLifetime };
    const answer = await this.#call(message, "pair.result", options);
    if (answer.type !== "pair.result") throw new HitlError("ERR_INTERNAL", "Unreachable: wrong answer type.");
    return answer.pairing;
  }

  /** `hitl keys list`: the extension's team window shows the keys and answers with the public list. */
  async listKeys(options: CallOptions): Promise<TeamKeyEntry[]> {
    const answer = await this.#call((requestId) => ({ type: "keys.list", requestId }), "keys.list.result", options);
    if (answer.type !== "keys.list.result") throw new HitlError("ERR_INTERNAL", "Unreachable: wrong answer type.");
    return answer.keys;
  }

  /** `hitl keys revoke KID`: the team window asks the human to confirm this kid, then revokes it at the hitl server. */
  async revokeKey(kid: string, options: CallOptions): Promise<string> {
    const answer = await this.#call((requestId) => ({ type: "keys.revoke", requestId, kid }), "keys.revoke.result", options);
    if (answer.type !== "keys.revoke.result") throw new HitlError("ERR_INTERNAL", "Unreachable: wrong answer type.");
    if (answer.kid !== kid) {
      throw new HitlError(
        "ERR_PROTOCOL",
        "The extension reported the revocation of another key than the one asked for; nothing is reported as revoked. Check the key list in the team window.",
      );
    }
    return answer.kid;
  }

  /** Asks the extension for its current state. Concurrent callers share one round trip. */
  status(options: { timeoutMs: number }): Promise<ExtensionInfo> {
    this.#statusInFlight ??= this.#call((requestId) => ({ type: "status.request", requestId }), "status.result", options)
      .then(() => {
        if (this.#info === undefined) throw new HitlError("ERR_INTERNAL", "Unreachable: connected without hello.");
        return this.#info;
      })
      .finally(() => {
        this.#statusInFlight = undefined;
      });
    return this.#statusInFlight;
  }

  /**
   * Ends the link: every pending request fails with ERR_EXTENSION_DISCONNECTED (it was delivered,
   * then the browser side went away), which tells a client it may re-send the same document to
   * the host the browser starts next. Idempotent.
   */
  close(reason?: HitlError): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    clearTimeout(this.#handshakeTimer);
    this.#log.info("extension.port-closed", { code: reason?.code, reason: reason?.message, pending: this.#pending.size });
    this.#prepared.clear();
    for (const pending of [...this.#pending.values()]) pending.reject(disconnected(pending.expects));
    this.#onClose?.(reason);
  }

  #call(build: (requestId: string) => HostToExtension, expects: Expected, options: CallOptions, id?: string): Promise<ExtensionToHost> {
    if (this.#state !== "connected") return Promise.reject(notConnected(this.#state));
    if (options.signal?.aborted) {
      if (id !== undefined) this.#trySend({ type: "request.withdraw", requestId: id });
      return Promise.reject(withdrawn());
    }
    const requestId = id ?? randomUUID();
    const withdrawable = expects !== "status.result";
    return new Promise<ExtensionToHost>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(requestId);
      };
      const onAbort = () => {
        settle();
        // Logged first: the frame may be read by the browser before the next line runs.
        this.#log.info("request.withdrawn", { requestId, reason: "client-disconnected" });
        this.#trySend({ type: "request.withdraw", requestId });
        reject(withdrawn());
      };
      const timer = setTimeout(() => {
        settle();
        this.#log.info("request.timeout", { requestId, expects });
        // The extension closes the window at expiry itself; this is the backstop.
        if (withdrawable) this.#trySend({ type: "request.withdraw", requestId });
        reject(timedOut(expects, options.timeoutMs));
      }, options.timeoutMs);
      this.#pending.set(requestId, {
        expects,
        resolve: (message) => {
          settle();
          resolve(message);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      options.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        this.#send(build(requestId));
      } catch (error) {
        settle();
        reject(
          error instanceof HitlError
            ? error
            : new HitlError(
                "ERR_EXTENSION_NOT_CONNECTED",
                "The request could not be sent to the browser; check it is running with the hitl extension.",
              ),
        );
      }
    });
  }

  #trySend(message: HostToExtension): boolean {
    try {
      this.#send(message);
      return true;
    } catch (error) {
      this.#log.error("extension.send-failed", { type: message.type, reason: error instanceof Error ? error.message : String(error) });
      this.close(new HitlError("ERR_EXTENSION_NOT_CONNECTED", "Writing to the browser failed; the native-messaging connection is gone."));
      return false;
    }
  }

  #rejectInvalid(value: unknown, error: unknown): void {
    const reason = error instanceof HitlError ? `${error.code}: ${error.message}` : String(error);
    const requestId = (value as { requestId?: unknown } | null)?.requestId;
    const pending = typeof requestId === "string" ? this.#pending.get(requestId) : undefined;
    this.#log.warn("extension.invalid-message", { requestId: pending === undefined ? undefined : (requestId as string), reason });
    pending?.reject(
      new HitlError(
        "ERR_PROTOCOL",
        `The extension sent an invalid answer (${reason}); nothing was relayed. Update the extension and the signing host to matching versions.`,
      ),
    );
  }
}

/** The error for "no usable extension link", worded for the state the port is in. */
export function notConnected(state: ExtensionPortState): HitlError {
  return new HitlError(
    "ERR_EXTENSION_NOT_CONNECTED",
    state === "waiting-for-hello"
      ? "The hitl extension has not finished connecting to the signing host; wait a moment and retry, or reload the extension."
      : "The hitl extension is not connected to the signing host; open the browser with the hitl extension enabled, then retry.",
  );
}

/**
 * The browser side (the extension's service worker, or the browser) went away while a request
 * was waiting. MV3 stops idle workers, which closes the native port and ends this host; the
 * extension keeps the request and its window, and the next host it starts can take it again.
 */
function disconnected(expects: Expected): HitlError {
  switch (expects) {
    case "sign.result":
      return new HitlError(
        "ERR_EXTENSION_DISCONNECTED",
        "The browser side of the signing host went away while the approval request was pending (the extension's service worker stopped or the browser closed); nothing was signed here. The approval window stays open: hitl request re-sends the same challenge when the browser reconnects; other clients should re-send it too.",
      );
    case "pair.result":
      return new HitlError(
        "ERR_EXTENSION_DISCONNECTED",
        "The browser side of the signing host went away while the pairing request was pending (the extension's service worker stopped or the browser closed); nothing was paired. Run 'hitl pair' again once the browser is running with the hitl extension.",
      );
    case "status.result":
      return new HitlError(
        "ERR_EXTENSION_DISCONNECTED",
        "The browser side of the signing host went away while its status was being asked; it is not connected now.",
      );
    case "keys.list.result":
    case "keys.revoke.result":
      return new HitlError(
        "ERR_EXTENSION_DISCONNECTED",
        "The browser side of the signing host went away while the team window was open (the extension's service worker stopped or the browser closed). A revocation may or may not have happened: check with 'hitl keys list' once the browser is running.",
      );
  }
}

function timedOut(expects: Expected, timeoutMs: number): HitlError {
  switch (expects) {
    case "sign.result":
    case "pair.result":
      return new HitlError(
        "ERR_TIMEOUT",
        "No decision was made before the challenge expired; nothing was signed. Ask again, with a longer timeout if the approver needs more time.",
      );
    case "status.result":
      return new HitlError(
        "ERR_TIMEOUT",
        `The extension is connected but did not answer within ${timeoutMs} ms; reload the hitl extension.`,
      );
    case "keys.list.result":
    case "keys.revoke.result":
      return new HitlError(
        "ERR_TIMEOUT",
        `The team window did not answer within ${Math.round(timeoutMs / 1000)} s (not signed in, or no click) and was closed. Nothing is reported as revoked; if you had confirmed, check with 'hitl keys list'. Run the command again and answer in the team window.`,
      );
  }
}

function withdrawn(): HitlError {
  return new HitlError("ERR_WITHDRAWN", "The request was withdrawn because the client went away; nothing was signed.");
}
