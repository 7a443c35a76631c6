import { readKeyPolicy } from "./identity.js";
import { loadKey, type SigningKey } from "./key-store.js";
import { sessionKeys } from "./session-key.js";

/**
 * The signing key at a worker start: the persistent key from IndexedDB, or the session key still
 * held in memory (after a worker restart; after a browser restart there is none, and none is made).
 */
export async function keyAtWorkerStart(): Promise<SigningKey | undefined> {
  return (await readKeyPolicy()) === "session" ? sessionKeys.current() : loadKey();
}
