import type { KeyPolicy } from "@hitl/verifier/protocol";

/*
 * Key lifetime policy. `persistent` (default for local pairing): the key survives browser
 * restarts, because `hitl pair` recorded exactly this public key in the approvers file and a new
 * key would break the pairing at every start. `session` (team mode, where each start re-registers
 * the key through a login): the key is deleted and a new one made at each browser start.
 *
 * storage.session is empty after a browser (or extension) start and survives service-worker
 * restarts, so a marker there tells "the browser started" from "the worker woke up".
 */
export const DEFAULT_KEY_POLICY: KeyPolicy = "persistent";

export type StartAction = "keep" | "regenerate";

export function keyActionAtStart(policy: KeyPolicy, browserSessionMarked: boolean): StartAction {
  if (policy === "session" && !browserSessionMarked) return "regenerate";
  return "keep";
}
