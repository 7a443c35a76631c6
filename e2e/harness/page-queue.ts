import type { BrowserContext, Page } from "playwright-core";

export type WindowKind = "approval" | "pairing";

/**
 * Collects every approval/pairing window the extension opens, from the moment the browser starts,
 * so a test never misses one that appeared before it started waiting.
 */
export class PageQueue {
  readonly #queued: Record<WindowKind, Page[]> = { approval: [], pairing: [] };
  readonly #waiters: Record<WindowKind, ((page: Page) => void)[]> = { approval: [], pairing: [] };
  /** Every page announced, for diagnostics when a window does not come. */
  readonly #log: string[] = [];
  /** performance.now() when each page was first seen. */
  readonly seenAt = new WeakMap<Page, number>();

  constructor(context: BrowserContext) {
    context.on("page", (page) => void this.#add(page, performance.now()));
  }

  async #add(page: Page, seenAt: number): Promise<void> {
    this.#log.push(`${Math.round(seenAt)}ms ${page.url() || "(no url)"}`);
    let kind = kindOf(page.url());
    if (kind === undefined && (page.url() === "" || page.url() === "about:blank")) {
      // A window can be announced before its first navigation commits.
      await page.waitForURL((url) => kindOf(url.href) !== undefined, { timeout: 5_000, waitUntil: "commit" }).catch(() => {});
      kind = kindOf(page.url());
    }
    if (kind === undefined) {
      this.#log.push(`  ignored: ${page.url() || "(no url)"}${page.isClosed() ? " (closed)" : ""}`);
      return;
    }
    this.seenAt.set(page, seenAt);
    const waiter = this.#waiters[kind].shift();
    if (waiter !== undefined) waiter(page);
    else this.#queued[kind].push(page);
  }

  next(kind: WindowKind, timeoutMs: number): Promise<Page> {
    const queued = this.#queued[kind].shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters[kind] = this.#waiters[kind].filter((w) => w !== deliver);
        reject(new Error(`No ${kind} window appeared within ${timeoutMs} ms. Pages seen: ${this.#log.join("; ") || "none"}`));
      }, timeoutMs);
      const deliver = (page: Page) => {
        clearTimeout(timer);
        resolve(page);
      };
      this.#waiters[kind].push(deliver);
    });
  }

  /** Windows that appeared but were not taken by a test. */
  pendingCount(kind: WindowKind): number {
    return this.#queued[kind].length;
  }
}

function kindOf(url: string): WindowKind | undefined {
  if (url.includes("/src/approval/approval.html")) return "approval";
  if (url.includes("/src/pairing/pairing.html")) return "pairing";
  return undefined;
}
