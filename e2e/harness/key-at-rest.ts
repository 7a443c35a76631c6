import { expect } from "vitest";
import type { JsonOutcome } from "./flows.js";
import { parseJsonOutcome } from "./flows.js";
import type { HostSession } from "./host-session.js";
import { type FoundSeed, scanForEd25519Seeds } from "./key-scan.js";

/** The key `hitl pair --json` reported: what a seed found on disk is compared with. */
export interface PairedKey {
  kid: string;
  publicKey: string;
}

export function pairedKey(outcome: JsonOutcome): PairedKey {
  const approver = outcome.approver as { kid: string; publicKey: string } | undefined;
  if (approver === undefined) throw new Error(`hitl pair printed no approver: ${JSON.stringify(outcome)}`);
  return { kid: approver.kid, publicKey: approver.publicKey };
}

/** The seeds found that are this key's. */
export function seedsOf(found: FoundSeed[], key: PairedKey): FoundSeed[] {
  return found.filter((item) => item.publicKey === key.publicKey);
}

/** Quit the browser, scan `dir` for Ed25519 seeds while nothing runs on it, start the browser again. */
export async function seedsWhileStopped(
  session: { restart(options: { whileStopped: () => void }): Promise<void> },
  dir: string,
): Promise<FoundSeed[]> {
  let found: FoundSeed[] | undefined;
  await session.restart({
    whileStopped: () => {
      found = scanForEd25519Seeds(dir);
    },
  });
  if (found === undefined) throw new Error("The browser restarted without stopping: nothing was scanned.");
  return found;
}

/** After the browser restarted, a session key is gone: `hitl request` fails closed naming `hitl pair`. */
export async function expectSessionKeyEnded(session: HostSession): Promise<void> {
  const result = await session.hitl(["request", "--action", "after a browser restart", "--json", "--timeout", "30"]).done;
  expect(result.code).toBe(3);
  expect(parseJsonOutcome(result)).toEqual({
    decision: "error",
    code: "ERR_SESSION_KEY_ENDED",
    message:
      "The paired key was a session key, held in the browser's memory only, and it ended when the browser (or the extension) " +
      "stopped: run `hitl pair --key-lifetime session` to pair a new one, or `hitl pair` for a key kept across restarts.",
  });
}
