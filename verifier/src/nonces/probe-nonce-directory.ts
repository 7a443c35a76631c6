import { closeSync, openSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { makePrivateDirectorySync } from "../make-private-directory.js";

/*
 * Whether the embedded replay store can record a nonce in `dir` now: the directory is created
 * when missing (0700, never Node's recursive mkdir, which loops on /proc/nope) and must take a new
 * file. A real write, not access(2): root passes every permission check, yet /sys and /proc refuse
 * the file. Synchronous and a handful of syscalls, so a broken path is reported at once.
 * Used by FileNonceStore.ready() and, before any code is loaded, by `hitl request`'s early start
 * (hence its own entry, @hitl/verifier/nonce-directory, which loads nothing else).
 */

/** Throws the errno error (ENOTDIR, ENOENT, EACCES, EROFS, ENOSPC...) of the first step that fails. */
export function probeNonceDirectory(dir: string): void {
  makePrivateDirectorySync(dir);
  // Not a nonce's name (those are 2 hex digits per shard): prune never looks at it.
  const probe = join(dir, `.probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  closeSync(openSync(probe, "wx", 0o600));
  unlinkSync(probe);
}
