/*
 * The one extension API the pages use (runtime.sendMessage), taken straight from the browser:
 * Firefox's `browser` and Chromium's MV3 `chrome` both return a promise when no callback is
 * given. Pages skip webextension-polyfill (the service worker keeps it): a new approval window
 * then loads and runs less script before it can show the request.
 */
interface PageRuntime {
  sendMessage(message: unknown): Promise<unknown>;
}

declare const browser: { runtime: PageRuntime } | undefined;
declare const chrome: { runtime: PageRuntime } | undefined;

export function pageRuntime(): PageRuntime {
  const api = typeof browser !== "undefined" ? browser : typeof chrome !== "undefined" ? chrome : undefined;
  if (api === undefined) throw new Error("Not running as an extension page.");
  return api.runtime;
}
