import { assertSafeDirectory, openSecret, readCheckedSecret } from "./lib/secret-file.js";

/**
 * The 32-byte host secret from `path` (resolvePaths().hostSecretFile). Checked in this order:
 * not a symbolic link, a regular file of ours with no group/other bits, in a directory of ours
 * with no group/other bits, then the content. Fails with ERR_HOST_SECRET_MISSING (run `hitl
 * setup`), ERR_HOST_SECRET_INSECURE or ERR_HOST_SECRET_INVALID; never returns a doubtful value.
 */
export async function readHostSecret(path: string): Promise<Buffer> {
  const handle = await openSecret(path);
  try {
    const secret = await readCheckedSecret(handle, path);
    await assertSafeDirectory(path);
    return secret;
  } finally {
    await handle.close();
  }
}
