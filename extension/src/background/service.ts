import {
  type ErrorCode,
  type ExtensionStatus,
  type ExtensionToHost,
  HitlError,
  type HostToExtension,
  type KeyPolicy,
  NATIVE_HOST_NAME,
} from "@hitl/verifier/protocol";
import browser, { BROWSER_FAMILY } from "../lib/browser.js";
import type { HistoryItem } from "../lib/ui-messages.js";
import { showPendingCount } from "./badge.js";
import { ExpiryTimers } from "./expiry-timers.js";
import { recordOutcome } from "./history.js";
import { readIdentity, readKeyPolicy, writeKeyPolicy } from "./identity.js";
import { keyPlanAtPairing } from "./key-lifetime.js";
import { deleteKey, generateKey, loadKey, type SigningKey } from "./key-store.js";
import { NativeHostConnection } from "./native-port.js";
import { expiresAt, type LostRequest, type PendingEntry, PendingStore } from "./pending.js";
import { type PreparedWindow, PreparedWindows } from "./prepared-windows.js";
import { adoptWindowFor, openWindowFor } from "./request-windows.js";
import { sessionKeys } from "./session-key.js";
import { keysWindowClosed, onKeysRequest, withdrawKeysRequest } from "./team-cli.js";
import { closeWindow, openRequestWindow, type WindowPage, windowExists } from "./windows.js";
import { keyAtWorkerStart } from "./worker-key.js";

/** Handlers for the request kinds, registered by index.ts (keeps this file free of import cycles). */
export interface RequestHandlers {
  signPrepare(service: ApproverService, message: Extract<HostToExtension, { type: "sign.prepare" }>): Promise<void>;
  signRequest(service: ApproverService, message: Extract<HostToExtension, { type: "sign.request" }>): Promise<void>;
  pairRequest(service: ApproverService, message: Extract<HostToExtension, { type: "pair.request" }>): Promise<void>;
  /** The human closed the window: a signed deny (sign) or a refusal (pair). */
  closed(service: ApproverService, entry: PendingEntry): Promise<void>;
}

/**
 * The worker's state and the plumbing every request shares: the native port, the pending store,
 * the key, expiry timers, windows, the badge. Decisions live in sign-requests.ts / pair-requests.ts.
 */
export class ApproverService {
  readonly store = new PendingStore();
  readonly port: NativeHostConnection;
  key: SigningKey | undefined;
  readonly #timers = new ExpiryTimers();
  /** Resolves once the request's window exists and its id is recorded. */
  readonly windowReady = new Map<string, Promise<void>>();
  /** Windows opened on sign.prepare, waiting for their sign.request. */
  readonly prepared = new PreparedWindows({
    open: (requestId) => openRequestWindow("approval", requestId),
    close: closeWindow,
    onDiscard: (prepared) => {
      if (this.windowReady.get(prepared.requestId) === prepared.settled) this.windowReady.delete(prepared.requestId);
    },
  });

  constructor(readonly handlers: RequestHandlers) {
    this.port = new NativeHostConnection({
      hostName: NATIVE_HOST_NAME,
      connect: (name) => browser.runtime.connectNative(name),
      onConnected: () => void this.#onHandshake(),
      onMessage: (message) => void this.#dispatch(message),
    });
  }

  /** Runs on every worker start: browser start, install, or wake-up after being stopped. */
  async start(): Promise<void> {
    const lost = await this.store.load();
    this.key = await keyAtWorkerStart();
    this.port.start();
    await this.#answerLost(lost);
    await this.#rebuild();
  }

  /** Requests whose stored state was unusable: the requester hears so now, their windows close. */
  async #answerLost(lost: LostRequest[]): Promise<void> {
    for (const { requestId, windowId } of lost) {
      if (requestId !== undefined) {
        this.replyError(
          requestId,
          "ERR_INTERNAL",
          "The browser extension lost this request's state when it restarted; run the request again.",
        );
      }
      await closeWindow(windowId);
    }
  }

  /**
   * The key to pair, of the lifetime the human confirmed. Re-pairing with the same lifetime keeps
   * the key; another lifetime makes a new key and removes the other kind, so that at most one key
   * exists (switching to session deletes the persistent record; the browser may keep its bytes on
   * disk until it compacts the database, see docs/threat-model.md).
   */
  async keyForPairing(wanted: KeyPolicy): Promise<SigningKey> {
    if (this.key !== undefined && keyPlanAtPairing(this.key.policy, wanted) === "keep") return this.key;
    let key: SigningKey;
    if (wanted === "session") {
      key = await sessionKeys.create();
      await deleteKey();
    } else {
      key = (await loadKey()) ?? (await generateKey());
      await sessionKeys.drop();
    }
    await writeKeyPolicy(wanted);
    this.key = key;
    return key;
  }

  async status(): Promise<ExtensionStatus> {
    const identity = await readIdentity();
    const status: ExtensionStatus = {
      keyPresent: this.key !== undefined,
      keyPolicy: await readKeyPolicy(),
      pending: this.store.entries.size,
    };
    if (this.key !== undefined) status.kid = this.key.kid;
    if (identity !== undefined) status.subject = identity.subject;
    return status;
  }

  /** Send to the host, or keep the answer for the next handshake if the host is away. */
  reply(message: ExtensionToHost): void {
    try {
      this.port.send(message);
    } catch (error) {
      if (error instanceof HitlError && error.code === "ERR_NATIVE_MESSAGE_TOO_LARGE" && "requestId" in message) {
        this.reply({ type: "request.error", requestId: message.requestId, error: error.toJSON() });
        return;
      }
      this.store.outbox.push(message);
      void this.store.save();
    }
  }

  replyError(requestId: string, code: ErrorCode, message: string): void {
    this.reply({ type: "request.error", requestId, error: { code, message } });
  }

  async #onHandshake(): Promise<void> {
    this.store.generation++;
    this.reply({
      type: "extension.hello",
      extensionVersion: browser.runtime.getManifest().version,
      browser: BROWSER_FAMILY,
      status: await this.status(),
    });
    const queued = this.store.outbox;
    this.store.outbox = [];
    for (const message of queued) this.reply(message);
    await this.store.save();
  }

  async #dispatch(message: Exclude<HostToExtension, { type: "host.hello" | "host.error" }>): Promise<void> {
    try {
      await this.#handle(message);
    } catch (error) {
      // Fail closed and fast: the requester hears about it now, not at expiry.
      const reason = error instanceof Error ? error.name : "error";
      const pending = this.store.byRequestId(message.requestId);
      if (pending !== undefined) {
        this.settle(pending.key);
        await closeWindow(pending.windowId);
      }
      this.replyError(
        message.requestId,
        "ERR_INTERNAL",
        `The browser extension failed to handle the request (${reason}); reload the extension, then retry.`,
      );
    }
  }

  async #handle(message: Exclude<HostToExtension, { type: "host.hello" | "host.error" }>): Promise<void> {
    switch (message.type) {
      case "sign.prepare":
        return this.handlers.signPrepare(this, message);
      case "sign.request":
        return this.handlers.signRequest(this, message);
      case "pair.request":
        return this.handlers.pairRequest(this, message);
      case "request.withdraw":
        return this.withdraw(message.requestId);
      case "status.request":
        this.reply({ type: "status.result", requestId: message.requestId, status: await this.status() });
        return;
      case "keys.list":
      case "keys.revoke":
        return onKeysRequest(this, message);
    }
  }

  /** Track a new request: persist it, arm its expiry, open its window (or adopt the prepared one). */
  async track(entry: PendingEntry, page: WindowPage, prepared?: PreparedWindow): Promise<void> {
    this.store.add(entry);
    this.arm(entry);
    // The window first: the browser handles extension calls in order, and the human waits for
    // this one; persisting and the badge follow in the same turn.
    const ready = prepared === undefined ? openWindowFor(this.store, entry, page) : adoptWindowFor(this.store, entry, page, prepared);
    this.windowReady.set(entry.key, ready);
    void this.store.save();
    void this.refreshBadge();
    await ready;
  }

  /** Remove a request so that nobody else answers it; returns it to the one caller that may. */
  settle(key: string): PendingEntry | undefined {
    const entry = this.store.take(key);
    if (entry === undefined) return undefined;
    this.#timers.cancel(key);
    this.windowReady.delete(key);
    void this.store.save();
    void this.refreshBadge();
    return entry;
  }

  arm(entry: PendingEntry): void {
    this.#timers.arm(entry, (key) => void this.expire(key));
  }

  async expire(key: string): Promise<void> {
    const entry = this.settle(key);
    if (entry === undefined) return;
    await closeWindow(entry.windowId);
    if (entry.kind === "sign") {
      this.replyError(
        entry.requestId,
        "ERR_TIMEOUT",
        "Nobody decided before the challenge expired; run the request again (give more time with --timeout).",
      );
      await this.history("expired", entry);
    } else {
      this.replyError(entry.requestId, "ERR_TIMEOUT", "The pairing request expired before anyone clicked Pair; run `hitl pair` again.");
      await this.history("pairing-rejected", entry);
    }
  }

  /** The host's client went away: close the window, sign nothing. */
  async withdraw(requestId: string): Promise<void> {
    if (await withdrawKeysRequest(requestId)) return;
    const prepared = this.prepared.take(requestId);
    if (prepared !== undefined) return this.prepared.discard(prepared);
    const pending = this.store.byRequestId(requestId);
    const entry = pending === undefined ? undefined : this.settle(pending.key);
    if (entry === undefined) return;
    await closeWindow(entry.windowId);
    await this.history("withdrawn", entry);
  }

  async windowClosed(windowId: number): Promise<void> {
    if (keysWindowClosed(this, windowId)) return;
    // Closed before its challenge came: nothing was shown, so nothing is decided; the request,
    // if it still comes, opens a window of its own.
    const prepared = this.prepared.byWindow(windowId);
    if (prepared !== undefined) return this.prepared.discard(prepared, { close: false });
    const entry = this.store.byWindow(windowId);
    if (entry !== undefined) await this.handlers.closed(this, entry);
  }

  /** After a worker restart: re-arm timers, answer for windows closed meanwhile, reopen missing ones. */
  async #rebuild(): Promise<void> {
    this.store.pruneSettled(Date.now());
    for (const entry of [...this.store.entries.values()]) {
      if (expiresAt(entry) * 1000 <= Date.now()) {
        await this.expire(entry.key);
      } else if (entry.windowId === undefined) {
        this.arm(entry);
        const ready = openWindowFor(this.store, entry, entry.kind === "sign" ? "approval" : "pairing");
        this.windowReady.set(entry.key, ready);
      } else if (!(await windowExists(entry.windowId))) {
        await this.handlers.closed(this, entry);
      } else {
        this.arm(entry);
      }
    }
    await this.refreshBadge();
  }

  refreshBadge(): Promise<void> {
    return showPendingCount(this.store.entries.size);
  }

  history(outcome: HistoryItem["outcome"], entry: PendingEntry): Promise<void> {
    return recordOutcome(outcome, entry);
  }
}
