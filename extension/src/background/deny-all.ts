import type { PendingEntry } from "./pending.js";

/*
 * "Deny all" in the toolbar popup: the human clears a flood of windows in one click. Every
 * approval request waiting at the click gets a signed deny (the answer closing its window gives
 * too): the requester hears a decision it can verify and stops, rather than an error it might
 * retry; a deny authorizes nothing, so signing one for a challenge the human did not read is
 * safe. A waiting pairing request is refused (ERR_PAIRING_REJECTED), as by its Cancel button.
 * Empty windows opened ahead of a challenge are closed; nothing was shown in them, so nothing is
 * decided, and a challenge still on its way opens a window of its own when it arrives.
 *
 * Only types are imported here, so the logic runs under test without a browser; the worker
 * passes the real steps (ui-router.ts).
 */

type SignEntry = Extract<PendingEntry, { kind: "sign" }>;
type PairEntry = Extract<PendingEntry, { kind: "pair" }>;

export interface DenyAllSteps {
  /** The requests waiting now; the click answers exactly these. */
  waiting(): PendingEntry[];
  /** Takes a request so nobody else answers it; undefined when it was decided meanwhile. */
  settle(key: string): PendingEntry | undefined;
  /** Sign a deny for the entry's own challenge, answer the host, close its window. */
  deny(entry: SignEntry): Promise<void>;
  /** Answer ERR_PAIRING_REJECTED, close its window. */
  refuse(entry: PairEntry): Promise<void>;
  /** Close every window still waiting for its challenge; resolves with how many. */
  closeEmpty(): Promise<number>;
}

export interface DenyAllResult {
  /** Approval requests answered with a signed deny. */
  denied: number;
  /** Pairing requests refused. */
  refused: number;
  /** Empty windows (challenge not yet arrived) closed. */
  emptied: number;
  /** Requests decided elsewhere between the click and their turn (their own window, expiry, withdrawal). */
  skipped: number;
}

export async function denyAllPending(steps: DenyAllSteps): Promise<DenyAllResult> {
  const result: DenyAllResult = { denied: 0, refused: 0, emptied: 0, skipped: 0 };
  // Taken one by one before any answer is sent: a click in one window meanwhile cannot answer
  // a request twice, and each answer below is the only one.
  const taken: PendingEntry[] = [];
  for (const entry of steps.waiting()) {
    const own = steps.settle(entry.key);
    if (own === undefined) result.skipped++;
    else taken.push(own);
  }
  const answers = taken.map(async (entry) => {
    if (entry.kind === "sign") {
      await steps.deny(entry);
      result.denied++;
    } else {
      await steps.refuse(entry);
      result.refused++;
    }
  });
  const emptied = steps.closeEmpty().then((count) => {
    result.emptied = count;
  });
  // One failure (a window already gone) must not leave the others waiting; the first is reported.
  const outcomes = await Promise.allSettled([...answers, emptied]);
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  if (failure !== undefined) throw failure.reason;
  return result;
}
