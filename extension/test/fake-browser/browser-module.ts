import type { FakeBrowser } from "./fake-browser.js";

/*
 * What `src/lib/browser.ts` becomes under test (vi.mock in each test file): a `browser` that
 * forwards to the FakeBrowser the test installed. The slot lives on globalThis so that a test
 * can reload the worker's modules (a fresh worker) and keep the same browser profile.
 */
const SLOT = Symbol.for("hitl.test.fake-browser");

export function installFakeBrowser(fake: FakeBrowser): FakeBrowser {
  (globalThis as Record<symbol, unknown>)[SLOT] = fake;
  return fake;
}

export function installedFakeBrowser(): FakeBrowser {
  const fake = (globalThis as Record<symbol, unknown>)[SLOT] as FakeBrowser | undefined;
  if (fake === undefined) throw new Error("No fake browser installed: call installFakeBrowser() in beforeEach.");
  return fake;
}

const browser = new Proxy({} as FakeBrowser, {
  get: (_target, name) => installedFakeBrowser()[name as keyof FakeBrowser],
});

export default browser;

/** The Firefox build: its session key lives in the background's own heap (no offscreen document to fake). */
export const BROWSER_FAMILY = "firefox" as const;
