import { randomBytes } from "node:crypto";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { makePrivateDirectory } from "../make-private-directory.js";
import { HitlError } from "../protocol/errors.js";
import { assertSafeDirectory } from "./lib/secret-file.js";
import { readHostSecret } from "./read-host-secret.js";

/**
 * Makes sure `path` holds a valid host secret (what `hitl setup` does): a valid one is kept, so a
 * running host and the CLI keep agreeing; a missing one is created from 32 CSPRNG bytes, mode
 * 0600, in a directory created 0700. An insecure or malformed file is refused, not replaced:
 * the user decides what to do with it.
 */
export async function createHostSecret(path: string): Promise<"created" | "kept"> {
  try {
    await makePrivateDirectory(dirname(path));
  } catch (error) {
    throw unwritable(path, error);
  }
  assertSafeDirectory(path);
  try {
    readHostSecret(path);
    return "kept";
  } catch (error) {
    if (!(error instanceof HitlError) || error.code !== "ERR_HOST_SECRET_MISSING") throw error;
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // "wx": fail if a file appeared meanwhile rather than write through someone else's.
    handle = await open(path, "wx", 0o600);
  } catch (error) {
    throw unwritable(path, error);
  }
  try {
    await handle.writeFile(`${randomBytes(32).toString("base64url")}\n`, "latin1");
    await handle.sync();
  } finally {
    await handle.close();
  }
  // Read back through every check: what we return "created" for is what the host will accept.
  readHostSecret(path);
  return "created";
}

function unwritable(path: string, error: unknown): HitlError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new HitlError(
    "ERR_CONFIG",
    `Cannot create the hitl host secret ${path} (${code}). Check the permissions of its directory, or set HITL_CONFIG_DIR.`,
    {
      cause: error,
    },
  );
}
