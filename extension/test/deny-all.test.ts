import { describe, expect, test } from "vitest";
import { type DenyAllSteps, denyAllPending } from "../src/background/deny-all.js";
import type { PendingEntry } from "../src/background/pending.js";
import { parseUiRequest } from "../src/lib/ui-messages.js";

/*
 * The popup's "Deny all" over the worker's bookkeeping (stand-ins record what would be signed,
 * refused and closed; the real browser runs it in e2e/deny-all.test.ts).
 */

function signEntry(key: string): PendingEntry {
  return { kind: "sign", key, requestId: `r-${key}`, generation: 1, digest: `d-${key}`, challenge: {} as never, windowId: 100 };
}
function pairEntry(key: string): PendingEntry {
  return {
    kind: "pair",
    key,
    requestId: `r-${key}`,
    generation: 1,
    digest: `d-${key}`,
    request: {} as never,
    keyLifetime: "session",
    windowId: 200,
  };
}

function world(entries: PendingEntry[], options: { emptyWindows?: number; failDeny?: string } = {}) {
  const store = new Map(entries.map((entry) => [entry.key, entry]));
  const log: string[] = [];
  const steps: DenyAllSteps = {
    waiting: () => [...store.values()],
    settle: (key) => {
      const entry = store.get(key);
      store.delete(key);
      return entry;
    },
    deny: async (entry) => {
      // The next request's window may be clicked while this one is signed: it finds nothing left.
      await Promise.resolve();
      if (entry.key === options.failDeny) throw new Error("window gone");
      log.push(`deny ${entry.key}`);
    },
    refuse: async (entry) => {
      log.push(`refuse ${entry.key}`);
    },
    closeEmpty: async () => options.emptyWindows ?? 0,
  };
  return { store, log, steps };
}

describe("deny all waiting requests", () => {
  test("signs a deny for every waiting approval, refuses pairing, closes empty windows, and leaves nothing waiting", async () => {
    const { store, log, steps } = world([signEntry("a"), pairEntry("p"), signEntry("b"), signEntry("c")], { emptyWindows: 2 });
    expect(await denyAllPending(steps)).toEqual({ denied: 3, refused: 1, emptied: 2, skipped: 0 });
    expect(log.sort()).toEqual(["deny a", "deny b", "deny c", "refuse p"]);
    expect(store.size).toBe(0);
  });

  test("takes every request before answering any, so a click in a window meanwhile cannot answer one twice", async () => {
    const { store, log, steps } = world([signEntry("a"), signEntry("b")]);
    const running = denyAllPending(steps);
    // The human clicks in b's window while the denials are being signed: b is gone already.
    expect(store.has("b")).toBe(false);
    expect(await running).toEqual({ denied: 2, refused: 0, emptied: 0, skipped: 0 });
    expect(log).toEqual(["deny a", "deny b"]);
  });

  test("skips a request decided between the snapshot and its turn", async () => {
    const { store, steps } = world([signEntry("a"), signEntry("b")]);
    const settle = steps.settle;
    steps.settle = (key) => {
      if (key === "a") store.delete("a"); // decided in its own window just before
      return settle(key);
    };
    expect(await denyAllPending(steps)).toEqual({ denied: 1, refused: 0, emptied: 0, skipped: 1 });
  });

  test("one failing answer does not leave the others waiting; the failure is reported", async () => {
    const { store, log, steps } = world([signEntry("a"), signEntry("b"), signEntry("c")], { failDeny: "b" });
    await expect(denyAllPending(steps)).rejects.toThrow("window gone");
    expect(log.sort()).toEqual(["deny a", "deny c"]);
    expect(store.size).toBe(0);
  });

  test("with nothing waiting, nothing is signed", async () => {
    const { log, steps } = world([]);
    expect(await denyAllPending(steps)).toEqual({ denied: 0, refused: 0, emptied: 0, skipped: 0 });
    expect(log).toEqual([]);
  });

  test("the popup's message is parsed strictly", () => {
    expect(parseUiRequest({ type: "popup.denyAll" })).toEqual({ type: "popup.denyAll" });
    expect(parseUiRequest({ type: "popup.denyAll", requestId: "x" })).toBeUndefined();
  });
});
