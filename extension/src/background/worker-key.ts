import browser from "../lib/browser.js";
import { readKeyPolicy } from "./identity.js";
import { keyActionAtStart } from "./key-lifetime.js";
import { deleteKey, generateKey, loadKey, type SigningKey } from "./key-store.js";

/** Set in storage.session at the first worker start of a browser session (see key-lifetime.ts). */
const SESSION_MARKER = "hitl.browserSession";

/** The signing key at a worker start: the stored one, or a new one when the policy says so. */
export async function keyAtWorkerStart(): Promise<SigningKey | undefined> {
  const policy = await readKeyPolicy();
  const marked = (await browser.storage.session.get(SESSION_MARKER))[SESSION_MARKER] === true;
  let key: SigningKey | undefined;
  if (keyActionAtStart(policy, marked) === "regenerate") {
    await deleteKey();
    key = await generateKey(policy);
  } else {
    key = await loadKey();
  }
  if (!marked) await browser.storage.session.set({ [SESSION_MARKER]: true });
  return key;
}
