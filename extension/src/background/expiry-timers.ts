import { expiresAt, type PendingEntry } from "./pending.js";

/** One timer per tracked request, firing when its challenge (or pairing request) expires. */
export class ExpiryTimers {
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** (Re)arms the request's timer; an expiry already past fires on the next turn. */
  arm(entry: PendingEntry, onExpire: (key: string) => void): void {
    this.cancel(entry.key);
    const delay = Math.max(0, expiresAt(entry) * 1000 - Date.now());
    this.#timers.set(
      entry.key,
      setTimeout(() => onExpire(entry.key), delay),
    );
  }

  cancel(key: string): void {
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }
}
