import browser from "../lib/browser.js";

/** The toolbar badge shows how many requests wait for the human. */
export async function showPendingCount(count: number): Promise<void> {
  try {
    await browser.action.setBadgeBackgroundColor({ color: "#b3261e" });
    await browser.action.setBadgeText({ text: count > 0 ? String(count) : "" });
  } catch {
    // the badge is informational; never let it break a request
  }
}
