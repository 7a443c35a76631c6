/**
 * The extension API as seen from code the tests evaluate inside extension pages and the service
 * worker (page.evaluate). Only what the tests call; the extension itself uses @types/chrome.
 */
declare const chrome: {
  runtime: { sendMessage(message: unknown): Promise<unknown> };
  action: { getBadgeText(details: Record<string, never>): Promise<string> };
  storage: { local: { get(keys: null): Promise<Record<string, unknown>> } };
};
