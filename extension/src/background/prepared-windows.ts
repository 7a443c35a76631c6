/*
 * Approval windows opened on sign.prepare, before their challenge. `hitl request` sends the
 * headers of its POST /sign as soon as Node has started and the host announces the request at
 * once, so the browser builds the window (a new renderer process: tens of milliseconds) while the
 * CLI is still loading and the challenge is still on its way. Such a window has nothing to
 * decide: it says "Receiving the request…" until the sign.request with the same requestId adopts
 * it (sign-requests.ts), and it is closed instead when the host withdraws the request (bad body,
 * client gone), when that sign.request is refused, or after PREPARED_TIMEOUT_MS.
 */
export const PREPARED_TIMEOUT_MS = 10_000;

export interface PreparedWindow {
  readonly requestId: string;
  /** The window's id once it is open; undefined if it could not be opened. */
  readonly window: Promise<number | undefined>;
  windowId: number | undefined;
  /** Settles when the window was adopted or discarded; the page's approval.get waits for it. */
  readonly settled: Promise<void>;
  settle(): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export interface PreparedWindowsOptions {
  /** Opens the approval window for `requestId`; resolves with its id. */
  open(requestId: string): Promise<number>;
  /** Closes a window; a window already gone is not an error. */
  close(windowId: number | undefined): Promise<void>;
  /** Called when a prepared window is discarded (to forget what waited on it). */
  onDiscard(prepared: PreparedWindow): void;
  timeoutMs?: number;
}

export class PreparedWindows {
  readonly #byRequestId = new Map<string, PreparedWindow>();
  readonly #options: PreparedWindowsOptions;

  constructor(options: PreparedWindowsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#byRequestId.size;
  }

  has(requestId: string): boolean {
    return this.#byRequestId.has(requestId);
  }

  open(requestId: string): PreparedWindow {
    let settle: () => void = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const prepared: PreparedWindow = {
      requestId,
      windowId: undefined,
      settled,
      settle,
      timer: undefined,
      window: this.#options.open(requestId).then(
        (id) => {
          prepared.windowId = id;
          return id;
        },
        () => undefined,
      ),
    };
    prepared.timer = setTimeout(() => void this.discard(prepared), this.#options.timeoutMs ?? PREPARED_TIMEOUT_MS);
    this.#byRequestId.set(requestId, prepared);
    return prepared;
  }

  /** Hands the window to its request: from now on the request's own lifecycle closes it. */
  take(requestId: string): PreparedWindow | undefined {
    const prepared = this.#byRequestId.get(requestId);
    if (prepared === undefined) return undefined;
    this.#byRequestId.delete(requestId);
    clearTimeout(prepared.timer);
    return prepared;
  }

  byWindow(windowId: number): PreparedWindow | undefined {
    for (const prepared of this.#byRequestId.values()) if (prepared.windowId === windowId) return prepared;
    return undefined;
  }

  /** Discards every prepared window ("Deny all"); resolves with how many there were. */
  async discardAll(): Promise<number> {
    const all = [...this.#byRequestId.values()];
    await Promise.all(all.map((prepared) => this.discard(prepared)));
    return all.length;
  }

  /** Closes the window (unless the human already did) and releases a page waiting for its challenge. */
  async discard(prepared: PreparedWindow, options: { close: boolean } = { close: true }): Promise<void> {
    this.#byRequestId.delete(prepared.requestId);
    clearTimeout(prepared.timer);
    this.#options.onDiscard(prepared);
    prepared.settle();
    if (options.close) await this.#options.close(await prepared.window);
  }
}
