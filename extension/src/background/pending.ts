import {
  type Challenge,
  type ExtensionToHost,
  KEY_POLICIES,
  type KeyPolicy,
  type PairingRequest,
  parseChallenge,
  parseExtensionToHost,
  parsePairingRequest,
  parseReceipt,
  type Receipt,
} from "@hitl/verifier/protocol";
import browser from "../lib/browser.js";
import { documentDigest } from "../lib/digest.js";
import { DIGEST, UUID_V4 } from "../lib/patterns.js";

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

/** A stored request that could not be restored: what is known of it, to answer and close it. */
export interface LostRequest {
  requestId?: string;
  windowId?: number;
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

  /**
   * Restore the state a previous worker saved. Storage is the worker's own, but a snapshot can be
   * cut short or come from another version: every part is checked as strictly as a message from
   * the host, and whatever fails is dropped, never repaired (a request is restored only with the
   * exact challenge its digest names). Never throws: a worker that cannot start answers nobody.
   * Returns the requests that were dropped, so the caller can answer them and close their windows.
   */
  async load(): Promise<LostRequest[]> {
    let stored: unknown;
    try {
      stored = (await browser.storage.session.get(STORAGE_KEY))[STORAGE_KEY];
    } catch {
      return []; // unreadable: start empty; the host times out whatever was waiting
    }
    if (stored === undefined) return [];
    const snapshot = isRecord(stored) ? stored : {};
    const lost: LostRequest[] = [];
    const windows = new Set<number>();
    for (const raw of listOf(snapshot.entries)) {
      const entry = await restoreEntry(raw);
      const taken =
        entry !== undefined &&
        (this.entries.has(entry.key) || (entry.windowId !== undefined && windows.has(entry.windowId)) || this.byRequestId(entry.requestId));
      if (entry === undefined || taken) {
        lost.push(lostPartsOf(raw));
        continue;
      }
      this.entries.set(entry.key, entry);
      if (entry.windowId !== undefined) windows.add(entry.windowId);
    }
    for (const raw of listOf(snapshot.settled)) {
      const item = await restoreSettled(raw);
      if (item !== undefined && !this.settled.has(item.digest)) this.settled.set(item.digest, item);
    }
    this.outbox = listOf(snapshot.outbox).flatMap((raw) => {
      try {
        return [parseExtensionToHost(raw)];
      } catch {
        return [];
      }
    });
    const generations = [...this.entries.values(), ...this.settled.values()].map((item) => item.generation);
    this.generation = isCount(snapshot.generation) ? snapshot.generation : Math.max(0, ...generations);
    // A window or request id a restored request holds is not the lost one's to close or answer.
    for (const item of lost) {
      if (item.windowId !== undefined && windows.has(item.windowId)) delete item.windowId;
      if (item.requestId !== undefined && this.byRequestId(item.requestId) !== undefined) delete item.requestId;
    }
    return lost;
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

/* ---- restoring a snapshot: the same strictness as the wire ---- */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function hasExactly(record: Record<string, unknown>, required: readonly string[], optional: readonly string[]): boolean {
  const own = Object.keys(record);
  return required.every((key) => Object.hasOwn(record, key)) && own.every((key) => required.includes(key) || optional.includes(key));
}

const isUuid = (value: unknown): value is string => typeof value === "string" && UUID_V4.test(value);
const isDigest = (value: unknown): value is string => typeof value === "string" && DIGEST.test(value);

/** Parsed by the protocol's parser, or undefined. */
function parsed<T>(parse: (value: unknown) => T, value: unknown): T | undefined {
  try {
    return parse(value);
  } catch {
    return undefined;
  }
}

const SIGN_FIELDS = ["kind", "key", "requestId", "generation", "challenge", "digest"] as const;
const PAIR_FIELDS = ["kind", "key", "requestId", "generation", "request", "digest", "keyLifetime"] as const;

async function restoreEntry(raw: unknown): Promise<PendingEntry | undefined> {
  if (!isRecord(raw)) return undefined;
  const { key, requestId, generation, digest, windowId } = raw;
  if (!isUuid(key) || !isUuid(requestId) || !isCount(generation) || !isDigest(digest)) return undefined;
  if (windowId !== undefined && !isCount(windowId)) return undefined;
  const window = windowId === undefined ? {} : { windowId };
  if (raw.kind === "sign" && hasExactly(raw, SIGN_FIELDS, ["windowId"])) {
    const challenge = parsed((value) => parseChallenge(value), raw.challenge);
    if (challenge === undefined || (await documentDigest(challenge)) !== digest) return undefined;
    return { kind: "sign", key, requestId, generation, challenge, digest, ...window };
  }
  if (raw.kind === "pair" && hasExactly(raw, PAIR_FIELDS, ["windowId"])) {
    const request = parsed((value) => parsePairingRequest(value), raw.request);
    const keyLifetime = KEY_POLICIES.find((policy) => policy === raw.keyLifetime);
    if (request === undefined || keyLifetime === undefined || (await documentDigest(request)) !== digest) return undefined;
    return { kind: "pair", key, requestId, generation, request, digest, keyLifetime, ...window };
  }
  return undefined;
}

async function restoreSettled(raw: unknown): Promise<SettledDecision | undefined> {
  if (!isRecord(raw) || !hasExactly(raw, ["digest", "exp", "generation", "receipt"], [])) return undefined;
  const receipt = parsed((value) => parseReceipt(value), raw.receipt);
  if (receipt === undefined || !isCount(raw.generation) || raw.exp !== receipt.challenge.exp) return undefined;
  // The receipt answers a re-sent challenge by its digest: only for the challenge it signs.
  if (raw.digest !== (await documentDigest(receipt.challenge))) return undefined;
  return { digest: raw.digest, exp: receipt.challenge.exp, generation: raw.generation, receipt };
}

function lostPartsOf(raw: unknown): LostRequest {
  const lost: LostRequest = {};
  if (!isRecord(raw)) return lost;
  if (isUuid(raw.requestId)) lost.requestId = raw.requestId;
  if (isCount(raw.windowId)) lost.windowId = raw.windowId;
  return lost;
}
