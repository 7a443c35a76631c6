import { HitlError } from "@hitl/verifier/protocol";
import type { Peer } from "./peer-identity.js";

/*
 * Bounds on approvals waiting for a human, counted by the peer the kernel reports for the
 * connection (peer-identity.ts: the process holding the client socket), never by the requester
 * the challenge claims. Three limits:
 *   - per peer: one process cannot hold more than `maxPerPeer` windows;
 *   - overall: at most `maxTotal` windows wait at once (the extension shows as many);
 *   - a reserve: the last `reservedForNewPeers` places go only to a peer with nothing waiting, so
 *     a flood from a few processes still leaves a window for the next program (the human's own
 *     `hitl request`). A flood from many processes can fill the reserve too; the human then
 *     clears it in one click (Deny all in the extension popup).
 * Ids and nonces must be unique among pending requests, so a retried POST cannot open a second
 * window for the same challenge.
 */

export interface PendingLimits {
  /** Pending requests (sign + pair) per peer process. */
  maxPerPeer: number;
  /** Pending requests in total. */
  maxTotal: number;
  /** Of `maxTotal`, places kept for peers that have nothing pending. */
  reservedForNewPeers: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = { maxPerPeer: 4, maxTotal: 16, reservedForNewPeers: 4 };

/** Explicit check of the merged limits: a wrong number must not silently disable a bound. */
export function normalizePendingLimits(limits: PendingLimits): PendingLimits {
  const { maxPerPeer, maxTotal, reservedForNewPeers } = limits;
  const positive = (value: number) => Number.isSafeInteger(value) && value >= 1;
  if (!positive(maxPerPeer) || !positive(maxTotal) || !Number.isSafeInteger(reservedForNewPeers) || reservedForNewPeers < 0) {
    throw new TypeError("pendingLimits: maxPerPeer and maxTotal must be integers >= 1, reservedForNewPeers an integer >= 0");
  }
  if (reservedForNewPeers >= maxTotal) throw new TypeError("pendingLimits: reservedForNewPeers must be smaller than maxTotal");
  return { maxPerPeer, maxTotal, reservedForNewPeers };
}

interface Entry {
  id: string;
  nonce: string;
  peer: string;
}

export class PendingRequests {
  readonly #limits: PendingLimits;
  readonly #entries = new Set<Entry>();
  readonly #ids = new Set<string>();
  readonly #nonces = new Set<string>();
  readonly #perPeer = new Map<string, number>();

  constructor(limits: PendingLimits = DEFAULT_PENDING_LIMITS) {
    this.#limits = normalizePendingLimits(limits);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Reserves a place or throws 409/429; `release` gives it back (idempotent). The peer is asked
   * for only when there is room at all: finding it reads /proc, and a full host need not.
   */
  reserve(document: { id: string; nonce: string }, peerOf: () => Peer): { release(): void; peer: Peer } {
    if (this.#ids.has(document.id) || this.#nonces.has(document.nonce)) {
      throw new HitlError(
        "ERR_DUPLICATE_REQUEST",
        "A request with the same id or nonce is already waiting for a decision; wait for it, or make a new challenge.",
      );
    }
    const { maxPerPeer, maxTotal, reservedForNewPeers } = this.#limits;
    if (this.#entries.size >= maxTotal) {
      throw new HitlError(
        "ERR_TOO_MANY_PENDING",
        `${this.#entries.size} requests are already waiting for a decision (limit ${maxTotal}); decide them, or deny them all from the hitl extension's toolbar popup, then retry.`,
      );
    }
    const peer = peerOf();
    const count = this.#perPeer.get(peer.key) ?? 0;
    if (count >= maxPerPeer) {
      throw new HitlError(
        "ERR_TOO_MANY_PENDING",
        `This program (${describePeer(peer)}) already has ${count} requests waiting for a decision (limit ${maxPerPeer} per process); wait for one to finish, or deny them all from the hitl extension's toolbar popup.`,
      );
    }
    if (count > 0 && this.#entries.size >= maxTotal - reservedForNewPeers) {
      throw new HitlError(
        "ERR_TOO_MANY_PENDING",
        `${this.#entries.size} requests are already waiting for a decision and the last ${reservedForNewPeers} places are kept for programs with nothing waiting; this program (${describePeer(peer)}) has ${count}. Wait for one to finish, then retry.`,
      );
    }
    const entry: Entry = { id: document.id, nonce: document.nonce, peer: peer.key };
    this.#entries.add(entry);
    this.#ids.add(entry.id);
    this.#nonces.add(entry.nonce);
    this.#perPeer.set(entry.peer, count + 1);
    const release = () => {
      if (!this.#entries.delete(entry)) return;
      this.#ids.delete(entry.id);
      this.#nonces.delete(entry.nonce);
      const left = (this.#perPeer.get(entry.peer) ?? 1) - 1;
      if (left === 0) this.#perPeer.delete(entry.peer);
      else this.#perPeer.set(entry.peer, left);
    };
    return { release, peer };
  }
}

function describePeer(peer: Peer): string {
  if (peer.pid !== undefined) return `pid ${peer.pid}`;
  if (peer.uid !== undefined) return `an uninspectable process of uid ${peer.uid}`;
  if (peer.key === "unidentified") return "a client that already closed its connection";
  return "this connection";
}
