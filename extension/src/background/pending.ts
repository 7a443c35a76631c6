import type { Challenge, ExtensionToHost, KeyPolicy, PairingRequest, Receipt } from "@hitl/verifier/protocol";
import browser from "../lib/browser.js";

/*
 * Every request the worker is holding, persisted in storage.session so a service-worker restart
 * between the request and the click loses nothing (challenges are not secret; the key is not
 * here). `generation` counts host handshakes: a request that arrives again on a newer connection
 * with the same challenge digest is the same request re-sent through a restarted host.
 */
export type PendingEntry =
  | {
      kind: "sign";
      /** The id the window was opened with (its URL); stable across host restarts. */
      key: string;
      /** The id the current host uses for this request; answers go to it. */
      requestId: string;
      generation: number;
      challenge: Challenge;
      /** b64url(SHA-256(JCS(challenge))), computed by the worker when the request arrived. */
      digest: string;
      windowId?: number;
    }
  | {
      kind: "pair";
      key: string;
      requestId: string;
      generation: number;
      request: PairingRequest;
      digest: string;
      /** The lifetime of the key to pair (from the terminal, beside the signed request). */
      keyLifetime: KeyPolicy;
      windowId?: number;
    };

/** When the request's challenge (or pairing request) expires, seconds since the epoch. */
export function expiresAt(entry: PendingEntry): number {
  return entry.kind === "sign" ? entry.challenge.exp : entry.request.exp;
}

/** A decided challenge, kept until it expires, to answer a re-sent request after a host restart. */
export interface SettledDecision {
  digest: string;
  exp: number;
  generation: number;
  receipt: Receipt;
}

interface Snapshot {
  entries: PendingEntry[];
  settled: SettledDecision[];
  outbox: ExtensionToHost[];
  generation: number;
}

const STORAGE_KEY = "hitl.pending";

export class PendingStore {
  readonly entries = new Map<string, PendingEntry>();
  readonly settled = new Map<string, SettledDecision>();
  /** Answers produced while the host was away, sent at the next handshake. */
  outbox: ExtensionToHost[] = [];
  generation = 0;
  #writes: Promise<void> = Promise.resolve();

  async load(): Promise<void> {
    const stored = (await browser.storage.session.get(STORAGE_KEY))[STORAGE_KEY] as Snapshot | undefined;
    if (stored === undefined) return;
    for (const entry of stored.entries) this.entries.set(entry.key, entry);
    for (const item of stored.settled) this.settled.set(item.digest, item);
    this.outbox = stored.outbox;
    this.generation = stored.generation;
  }

  /** Persist the current state; writes are chained so a later state never lands before an earlier one. */
  save(): Promise<void> {
    const snapshot: Snapshot = {
      entries: [...this.entries.values()],
      settled: [...this.settled.values()],
      outbox: this.outbox,
      generation: this.generation,
    };
    this.#writes = this.#writes.catch(() => {}).then(() => browser.storage.session.set({ [STORAGE_KEY]: snapshot }));
    return this.#writes;
  }

  add(entry: PendingEntry): void {
    this.entries.set(entry.key, entry);
  }

  /** Remove and return; the caller that gets the entry is the only one that may answer it. */
  take(key: string): PendingEntry | undefined {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry;
  }

  byRequestId(requestId: string): PendingEntry | undefined {
    for (const entry of this.entries.values()) if (entry.requestId === requestId) return entry;
    return undefined;
  }

  byWindow(windowId: number): PendingEntry | undefined {
    for (const entry of this.entries.values()) if (entry.windowId === windowId) return entry;
    return undefined;
  }

  byDigest(kind: PendingEntry["kind"], digest: string): PendingEntry | undefined {
    for (const entry of this.entries.values()) if (entry.kind === kind && entry.digest === digest) return entry;
    return undefined;
  }

  /** Answer a request under the id a restarted host gave it; the window keeps its own key. */
  rebind(entry: PendingEntry, requestId: string, generation: number): void {
    entry.requestId = requestId;
    entry.generation = generation;
  }

  pruneSettled(nowMs: number): void {
    for (const [digest, item] of this.settled) if (item.exp * 1000 <= nowMs) this.settled.delete(digest);
  }
}
