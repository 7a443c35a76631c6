import browser from "../lib/browser.js";
import type { HistoryItem } from "../lib/ui-messages.js";
import type { PendingEntry } from "./pending.js";

/** The last decisions, for the toolbar popup: summaries only, never receipts or keys. */
const STORAGE_KEY = "hitl.history";
const KEEP = 10;
const SUMMARY_CHARS = 140;

export async function readHistory(): Promise<HistoryItem[]> {
  const stored = (await browser.storage.local.get(STORAGE_KEY))[STORAGE_KEY];
  return Array.isArray(stored) ? (stored as HistoryItem[]) : [];
}

let writes: Promise<void> = Promise.resolve();

export function recordHistory(item: HistoryItem): Promise<void> {
  const chars = Array.from(item.summary);
  const summary = chars.length > SUMMARY_CHARS ? `${chars.slice(0, SUMMARY_CHARS - 1).join("")}…` : item.summary;
  writes = writes
    .catch(() => {})
    .then(async () => {
      const items = [{ ...item, summary }, ...(await readHistory())].slice(0, KEEP);
      await browser.storage.local.set({ [STORAGE_KEY]: items });
    });
  return writes;
}

/** How a request ended, as the popup lists it. */
export function recordOutcome(outcome: HistoryItem["outcome"], entry: PendingEntry): Promise<void> {
  const at = Date.now();
  return recordHistory(
    entry.kind === "sign"
      ? { at, outcome, summary: entry.challenge.action.summary, aud: entry.challenge.aud, tool: entry.challenge.requester.tool }
      : { at, outcome, summary: `pairing as ${entry.request.subject}`, aud: entry.request.aud, tool: entry.request.requester.tool },
  );
}
