import type { PendingEntry, PendingStore } from "./pending.js";
import type { PreparedWindow } from "./prepared-windows.js";
import { closeWindow, openRequestWindow, type WindowPage, windowExists } from "./windows.js";

/*
 * The window of a tracked request. Either call ends with the window's id recorded on the entry,
 * or, when the request was withdrawn or expired while the browser was opening it, with the
 * window closed again: a window never outlives its request.
 */

/** Opens the request's own window. */
export async function openWindowFor(store: PendingStore, entry: PendingEntry, page: WindowPage): Promise<void> {
  const windowId = await openRequestWindow(page, entry.key);
  if (store.entries.get(entry.key) !== entry) {
    await closeWindow(windowId); // withdrawn or expired while the window was opening
    return;
  }
  entry.windowId = windowId;
  void store.save(); // the window may ask for its request now; persisting can follow
}

/** The window opened on sign.prepare shows this request; if the human closed it meanwhile, a new one does. */
export async function adoptWindowFor(store: PendingStore, entry: PendingEntry, page: WindowPage, prepared: PreparedWindow): Promise<void> {
  try {
    const windowId = await prepared.window;
    if (windowId === undefined || !(await windowExists(windowId))) {
      await openWindowFor(store, entry, page);
    } else if (store.entries.get(entry.key) !== entry) {
      await closeWindow(windowId); // withdrawn or expired meanwhile
    } else {
      entry.windowId = windowId;
      void store.save();
    }
  } finally {
    prepared.settle(); // the page's approval.get, waiting since the window opened, reads it now
  }
}
