import { assertSafeDirectory, closeSecret, openSecret, readCheckedSecret } from "./lib/secret-file.js";

/**
 * The 32-byte host secret from `path` (resolvePaths().hostSecretFile). Checked in this order:
 * not a symbolic link, a regular file of ours with no group/other bits, then its content, then
 * its directory: ours with no group/other bits. Fails with ERR_HOST_SECRET_MISSING (run `hitl
 * setup`), ERR_HOST_SECRET_INSECURE or ERR_HOST_SECRET_INVALID; never returns a doubtful value.
 * Synchronous on purpose: a 44-byte file, read once per exchange or once at host start-up,
 * before the host takes its port and says hello.
 */
export function readHostSecret(path: string): Buffer {
  const fd = openSecret(path);
  try {
    const secret = readCheckedSecret(fd, path);
    assertSafeDirectory(path);
    return secret;
  } finally {
    closeSecret(fd);
  }
}
