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
  /**
   * What a person does for `hitl pair`: click Pair in the next pairing window, read the
   * confirmation code the window then shows, and type it (`type`, into the CLI's stdin).
   */
  pair(signal: AbortSignal, type: (line: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** The code the pairing window shows after Pair: "KPT-WRM". */
const WINDOW_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{3}-[BCDFGHJKLMNPQRSTVWXZ]{3}$/;

export async function attachAutoClicker(devtoolsPort: number): Promise<AutoClicker> {
  const { chromium } = await loadPlaywright();
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
    async pair(signal, type) {
      const page = await nextWindow(browser, "pairing", handled, 30_000, signal);
      await page.getByRole("button", { name: "Pair", exact: true }).click({ timeout: 10_000 });
      const shown = page.locator("#confirmation-code");
      await shown.waitFor({ state: "visible", timeout: 10_000 });
      const code = ((await shown.textContent()) ?? "").trim();
      if (!WINDOW_CODE.test(code)) throw new HitlError("ERR_INTERNAL", `The pairing window shows "${code}", not a confirmation code.`);
      process.stdout.write(`     (auto-approve: clicked Pair in the pairing window, typing the code it shows: ${code})\n`);
      type(`${code}\n`);
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

/** A dev dependency of @hitl/cli: the demo runs from a clone of the repository, never from an install. */
async function loadPlaywright(): Promise<typeof import("playwright-core")> {
  try {
    return await import("playwright-core");
  } catch (error) {
    throw new HitlError(
      "ERR_CONFIG",
      "--auto-approve needs playwright-core, a dev dependency of @hitl/cli: run 'pnpm install' in the hitl repository, or click yourself without --auto-approve.",
      { cause: error },
    );
  }
}
