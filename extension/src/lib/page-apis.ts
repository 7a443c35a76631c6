/*
 * The few extension APIs the popup and the team window use beyond runtime.sendMessage, taken
 * straight from the browser (Firefox `browser`, Chromium `chrome`; both return promises in MV3)
 * without webextension-polyfill, as page-runtime.ts does.
 */
export interface PageApis {
  runtime: { getURL(path: string): string };
  windows: { create(details: { type: "popup"; url: string; width: number; height: number }): Promise<unknown> };
  permissions: { request(details: { origins: string[] }): Promise<boolean> };
  identity?: {
    getRedirectURL(path?: string): string;
    launchWebAuthFlow(details: { url: string; interactive: boolean }): Promise<string | undefined>;
  };
}

declare const browser: PageApis | undefined;
declare const chrome: PageApis | undefined;

export function pageApis(): PageApis {
  const api = typeof browser !== "undefined" ? browser : typeof chrome !== "undefined" ? chrome : undefined;
  if (api === undefined) throw new Error("Not running as an extension page.");
  return api;
}
