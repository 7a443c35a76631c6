import type { ErrorCode, KeyPolicy } from "@hitl/verifier/protocol";
import { SESSION_KEY_ENDED_MESSAGE } from "../lib/memory-key.js";

/*
 * Key lifetime. `persistent` (default for local pairing): kept in IndexedDB, in the browser
 * profile, across browser restarts, because `hitl pair` recorded exactly this public key and a
 * new key at every start would mean pairing again at every start. `session` (chosen with
 * `hitl pair --key-lifetime session`; team mode's default once it exists): held in memory only,
 * never written to disk, gone when the browser quits; the next request then fails closed until
 * the human pairs a new key. A session key is never silently replaced by a new one: a key
 * nobody registered could only produce receipts that fail verification.
 */
export const DEFAULT_KEY_POLICY: KeyPolicy = "persistent";

/** At Pair: keep the key the browser holds, or make a new one of the lifetime asked for. */
export function keyPlanAtPairing(held: KeyPolicy | undefined, wanted: KeyPolicy): "keep" | "create" {
  return held === wanted ? "keep" : "create";
}

/** Why a request cannot be signed when the worker holds no key, and what to do. */
export function missingKeyError(policy: KeyPolicy, paired: boolean): { code: ErrorCode; message: string } {
  if (policy === "session" && paired) return { code: "ERR_SESSION_KEY_ENDED", message: SESSION_KEY_ENDED_MESSAGE };
  return { code: "ERR_NO_KEY", message: "The browser extension has no signing key yet: pair first: run `hitl pair`." };
}

/** What the popup says about the key's lifetime. */
export function describeKeyLifetime(policy: KeyPolicy, keyPresent: boolean): string {
  if (policy === "persistent") return "persistent: stored in this browser profile, kept across restarts";
  return keyPresent
    ? "session: in memory only, never on disk; ends when the browser quits"
    : "session: ended when the browser quit; run `hitl pair` to pair a new key";
}
