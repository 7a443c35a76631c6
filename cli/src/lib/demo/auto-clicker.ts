import { HitlError } from "@hitl/verifier";
import type { Browser, Page } from "playwright-core";
import { delay } from "./chromium.js";

/**
 * For --auto-approve: attach playwright-core to the Chromium we started (DevTools on
 * 127.0.0.1) and press the buttons a human would press. Loaded only in that mode: a demo with a
 * human at the screen needs no automation at all.
 */
export interface AutoClicker {
  /** Wait for the next window of this kind, then click the button with this accessible name. */
  click(kind: "pairing" | "approval", button: "Pair" | "Approve", signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export async function attachAutoClicker(devtoolsPort: number): Promise<AutoClicker> {
  const { chromium } = await import("playwright-core");
  const browser: Browser = await chromium.connectOverCDP(`http://127.0.0.1:${devtoolsPort}`);
  const handled = new WeakSet<Page>();
  return {
    async click(kind, button, signal) {
      const page = await nextWindow(browser, kind, handled, 30_000, signal);
      try {
        await page.getByRole("button", { name: button, exact: true }).click({ timeout: 10_000 });
      } catch (error) {
        // The window closes itself once the decision is sent, sometimes before playwright's click returns.
        if (!page.isClosed()) throw error;
      }
      process.stdout.write(`     (auto-approve: clicked ${button} in the ${kind} window)\n`);
    },
    async close() {
      // Disconnects only: the browser is stopped by pid by its owner.
      await browser.close().catch(() => undefined);
    },
  };
}

/** Windows can appear before the clicker looks, so scan open pages instead of waiting for an event. */
async function nextWindow(browser: Browser, kind: string, handled: WeakSet<Page>, timeoutMs: number, signal: AbortSignal): Promise<Page> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal.aborted) throw new HitlError("ERR_WITHDRAWN", `Stopped waiting for the ${kind} window.`);
    for (const context of browser.contexts()) {
      for (const page of context.pages()) {
        if (!handled.has(page) && page.url().includes(`/${kind}.html`)) {
          handled.add(page);
          return page;
        }
      }
    }
    await delay(50);
  }
  throw new HitlError("ERR_INTERNAL", `No ${kind} window appeared within ${timeoutMs / 1000} s; the extension did not open one.`);
}
