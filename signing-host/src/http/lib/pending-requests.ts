import { HitlError, type RequesterContext } from "@hitl/verifier/protocol";

/*
 * Bounds on approvals waiting for a human. On loopback a TCP connection says nothing about who
 * is asking, so the per-client bound keys on the requester named in the challenge: its pid (one
 * agent process), else its tool name. Those fields are self-declared, so that bound is a fairness
 * guard (one runaway agent cannot fill the screen with windows); the overall cap is the hard
 * bound. Ids and nonces must be unique among pending requests, so a retried POST cannot open a
 * second window for the same challenge.
 */

export interface PendingLimits {
  /** Pending requests (sign + pair) per requester. */
  maxPerRequester: number;
  /** Pending requests in total. */
  maxTotal: number;
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = { maxPerRequester: 4, maxTotal: 16 };

interface Entry {
  id: string;
  nonce: string;
  requester: string;
}

export class PendingRequests {
  readonly #limits: PendingLimits;
  readonly #entries = new Set<Entry>();
  readonly #ids = new Set<string>();
  readonly #nonces = new Set<string>();
  readonly #perRequester = new Map<string, number>();

  constructor(limits: PendingLimits = DEFAULT_PENDING_LIMITS) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Reserves a slot or throws 409/429; the returned function releases it (idempotent). */
  reserve(document: { id: string; nonce: string; requester: RequesterContext }): () => void {
    if (this.#ids.has(document.id) || this.#nonces.has(document.nonce)) {
      throw new HitlError(
        "ERR_DUPLICATE_REQUEST",
        "A request with the same id or nonce is already waiting for a decision; wait for it, or make a new challenge.",
      );
    }
    const requester = requesterKey(document.requester);
    const count = this.#perRequester.get(requester) ?? 0;
    if (count >= this.#limits.maxPerRequester) {
      throw new HitlError(
        "ERR_TOO_MANY_PENDING",
        `This requester already has ${count} requests waiting for a decision (limit ${this.#limits.maxPerRequester}); wait for one to finish.`,
      );
    }
    if (this.#entries.size >= this.#limits.maxTotal) {
      throw new HitlError(
        "ERR_TOO_MANY_PENDING",
        `${this.#entries.size} requests are already waiting for a decision (limit ${this.#limits.maxTotal}); wait for some to finish.`,
      );
    }
    const entry: Entry = { id: document.id, nonce: document.nonce, requester };
    this.#entries.add(entry);
    this.#ids.add(entry.id);
    this.#nonces.add(entry.nonce);
    this.#perRequester.set(requester, count + 1);
    return () => {
      if (!this.#entries.delete(entry)) return;
      this.#ids.delete(entry.id);
      this.#nonces.delete(entry.nonce);
      const left = (this.#perRequester.get(requester) ?? 1) - 1;
      if (left === 0) this.#perRequester.delete(requester);
      else this.#perRequester.set(requester, left);
    };
  }
}

function requesterKey(requester: RequesterContext): string {
  return requester.pid !== undefined ? `pid:${requester.pid}` : `tool:${requester.tool}`;
}
