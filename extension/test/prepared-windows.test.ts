import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { PREPARED_TIMEOUT_MS, type PreparedWindow, PreparedWindows } from "../src/background/prepared-windows.js";

/*
 * The bookkeeping of windows opened on sign.prepare (the browser calls are stand-ins recording
 * what was opened and closed; the real ones run in e2e/prepared-window.test.ts).
 */
const ID = "3f278df0-09a5-4933-91bc-c68bdbfb9f7d";
const OTHER = "0b6f0a5e-8d8f-4c61-9d7e-2f1b3a4c5d6e";

let opened: string[];
let closed: Array<number | undefined>;
let discarded: string[];
let windows: PreparedWindows;

beforeEach(() => {
  vi.useFakeTimers();
  opened = [];
  closed = [];
  discarded = [];
  let next = 100;
  windows = new PreparedWindows({
    open: async (requestId) => {
      opened.push(requestId);
      return next++;
    },
    close: async (windowId) => {
      closed.push(windowId);
    },
    onDiscard: (prepared: PreparedWindow) => discarded.push(prepared.requestId),
  });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("PreparedWindows", () => {
  test("opens one window per announced request and finds it by request and by window", async () => {
    const prepared = windows.open(ID);
    expect(opened).toEqual([ID]);
    expect(await prepared.window).toBe(100);
    expect(windows.has(ID)).toBe(true);
    expect(windows.byWindow(100)).toBe(prepared);
    expect(windows.byWindow(101)).toBeUndefined();
    expect(windows.size).toBe(1);
  });

  test(`closes a window whose challenge does not come within ${PREPARED_TIMEOUT_MS} ms, and releases its waiters`, async () => {
    const prepared = windows.open(ID);
    let released = false;
    void prepared.settled.then(() => {
      released = true;
    });
    await vi.advanceTimersByTimeAsync(PREPARED_TIMEOUT_MS - 1);
    expect(closed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toEqual([100]);
    expect(discarded).toEqual([ID]);
    expect(released).toBe(true);
    expect(windows.has(ID)).toBe(false);
  });

  test("a window taken by its request is no longer timed out, and cannot be taken twice", async () => {
    windows.open(ID);
    const taken = windows.take(ID);
    expect(taken?.requestId).toBe(ID);
    expect(windows.take(ID)).toBeUndefined();
    expect(windows.take(OTHER)).toBeUndefined();
    await vi.advanceTimersByTimeAsync(PREPARED_TIMEOUT_MS * 2);
    expect(closed).toEqual([]);
    expect(discarded).toEqual([]);
  });

  test("discarding after the human closed the window does not close another", async () => {
    const prepared = windows.open(ID);
    await prepared.window;
    await windows.discard(prepared, { close: false });
    expect(closed).toEqual([]);
    expect(discarded).toEqual([ID]);
    await vi.advanceTimersByTimeAsync(PREPARED_TIMEOUT_MS * 2);
    expect(closed).toEqual([]);
  });

  test("a window that could not be opened is discarded without a close of some other id", async () => {
    const failing = new PreparedWindows({
      open: async () => {
        throw new Error("no window");
      },
      close: async (windowId) => {
        closed.push(windowId);
      },
      onDiscard: () => {},
    });
    const prepared = failing.open(ID);
    expect(await prepared.window).toBeUndefined();
    await failing.discard(prepared);
    expect(closed).toEqual([undefined]);
  });
});
