import { afterAll, beforeAll } from "vitest";
import { type BrowserSession, launchSession, type SessionOptions } from "./browser-session.js";
import { pairBrowser } from "./flows.js";

/**
 * A stand-in for a value made in a beforeAll, to be used by the tests of the file: reads (and
 * method calls) go to the value once set(); before that they fail, naming `what`.
 */
export function lateBound<T extends object>(what: string): { value: T; set(value: T | undefined): void; current(): T | undefined } {
  let current: T | undefined;
  const value = new Proxy({} as T, {
    get(_, property) {
      if (current === undefined) throw new Error(`${what} is used before the beforeAll that makes it.`);
      const found: unknown = Reflect.get(current, property);
      return typeof found === "function" ? found.bind(current) : found;
    },
  });
  return {
    value,
    set(next) {
      current = next;
    },
    current: () => current,
  };
}

/**
 * One session for the tests of the enclosing file (or describe block): `launch` runs before the
 * first test, close() after the last. Returns the session to use in the tests.
 */
export function sharedFor<Session extends { close(): Promise<void> }>(launch: () => Promise<Session>): Session {
  const session = lateBound<Session>("The browser session");
  beforeAll(async () => {
    session.set(await launch());
  });
  afterAll(async () => {
    await session.current()?.close();
  });
  return session.value;
}

export interface SharedSessionOptions extends SessionOptions {
  /** Pair the browser under this approver name before the first test (default: not paired). */
  pairAs?: string;
}

/** One Chromium session for the tests of the enclosing file (or describe block), paired if asked. */
export function sharedSession(options: SharedSessionOptions = {}): BrowserSession {
  const { pairAs, ...sessionOptions } = options;
  return sharedFor(async () => {
    const session = await launchSession(sessionOptions);
    if (pairAs !== undefined)
      await pairBrowser(session, pairAs).catch(async (error: unknown) => {
        await session.close();
        throw error;
      });
    return session;
  });
}
