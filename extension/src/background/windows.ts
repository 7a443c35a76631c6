import browser from "../lib/browser.js";

/** Approval and pairing windows: small popups that show one request each. */
const SIZES = { approval: { width: 520, height: 680 }, pairing: { width: 460, height: 520 } } as const;

export type WindowPage = keyof typeof SIZES;

export function pageUrl(page: WindowPage): string {
  return browser.runtime.getURL(`src/${page}/${page}.html`);
}

export async function openRequestWindow(page: WindowPage, requestId: string): Promise<number> {
  const url = `${pageUrl(page)}?request=${encodeURIComponent(requestId)}`;
  const created = await browser.windows.create({ type: "popup", url, focused: true, ...SIZES[page] });
  if (created.id === undefined) throw new Error("The browser did not return a window id.");
  return created.id;
}

export async function closeWindow(windowId: number | undefined): Promise<void> {
  if (windowId === undefined) return;
  try {
    await browser.windows.remove(windowId);
  } catch {
    // already closed by the human
  }
}

export async function windowExists(windowId: number): Promise<boolean> {
  try {
    await browser.windows.get(windowId);
    return true;
  } catch {
    return false;
  }
}

export async function focusWindow(windowId: number | undefined): Promise<void> {
  if (windowId === undefined) return;
  try {
    await browser.windows.update(windowId, { focused: true });
  } catch {
    // gone; the close handler deals with it
  }
}
